import DPQTensor

/// Average pooling to a fixed output size, as PyTorch's `nn.AdaptiveAvgPool2d`: output cell
/// (i, j) averages input rows floor(i H / oh) ..< ceil((i + 1) H / oh) and the same for
/// columns, so AlexNet and ResNet accept any input size their convolutions accept. A composite
/// of primitives (a mean over each window; a reshape and one mean where the windows tile the
/// input): `dpq bench fused` measured the kernel this replaced at 0.35x the composite.
public final class AdaptiveAvgPool2D: Module {
  public let outputHeight: Int
  public let outputWidth: Int

  public convenience init(outputSize: Int) throws { try self.init(outputHeight: outputSize, outputWidth: outputSize) }

  public init(outputHeight: Int, outputWidth: Int) throws {
    guard outputHeight > 0, outputWidth > 0 else {
      throw NNError.invalidArgument(
        op: "AdaptiveAvgPool2D", reason: "output size must be positive, got \(outputHeight)x\(outputWidth)")
    }
    self.outputHeight = outputHeight
    self.outputWidth = outputWidth
    super.init()
  }

  /// The input range of each output cell along one axis.
  static func bins(_ input: Int, _ output: Int) -> [Range<Int>] {
    (0..<output).map { i in (i * input / output)..<(((i + 1) * input + output - 1) / output) }
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard x.rank == 4 else {
      throw NNError.invalidArgument(op: "AdaptiveAvgPool2D", reason: "expected input [n, c, h, w], got \(x.shape)")
    }
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (oh, ow) = (outputHeight, outputWidth)
    guard h > 0, w > 0 else { throw NNError.invalidArgument(op: "AdaptiveAvgPool2D", reason: "empty input \(x.shape)") }
    if h % oh == 0 && w % ow == 0 {
      // windows that tile the input (ResNet's global pool, AlexNet's 6 x 6 of a 224 input)
      return try x.reshaped([n, c, oh, h / oh, ow, w / ow]).mean(axes: [3, 5]).labelled(
        "adaptive_avgpool2d", inputs: [x])
    }
    var lines: [Tensor] = []
    for r in AdaptiveAvgPool2D.bins(h, oh) {
      var cells: [Tensor] = []
      for q in AdaptiveAvgPool2D.bins(w, ow) {
        cells.append(try x.sliced([.all, .all, .range(r), .range(q)]).mean(axes: [2, 3], keepDims: true))
      }
      lines.append(try Tensor.concat(cells, axis: 3))
    }
    return try Tensor.concat(lines, axis: 2).labelled("adaptive_avgpool2d", inputs: [x])
  }
}
