import DPQTensor

/// Average pooling to a fixed output size, as PyTorch's `nn.AdaptiveAvgPool2d`: output cell
/// (i, j) averages input rows floor(i H / oh) ..< ceil((i + 1) H / oh) and the same for
/// columns, so AlexNet and ResNet accept any input size their convolutions accept.
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
    let rows = AdaptiveAvgPool2D.bins(h, oh)
    let cols = AdaptiveAvgPool2D.bins(w, ow)
    let planes = n * c
    let y = makeTensor([n, c, oh, ow]) { yp in
      withValues(x) { xp in
        for plane in 0..<planes {
          let src = xp + plane * h * w
          let dst = yp + plane * oh * ow
          for (i, r) in rows.enumerated() {
            for (j, q) in cols.enumerated() {
              var sum: Float = 0
              for iy in r {
                let row = src + iy * w
                for ix in q { sum += row[ix] }
              }
              dst[i * ow + j] = sum / Float(r.count * q.count)
            }
          }
        }
      }
    }
    let shape = x.shape
    return Tensor.record(y, op: "adaptive_avgpool2d", inputs: [x]) { gy in
      [
        makeZeroedTensor(shape) { dx in
          withValues(gy) { gp in
            for plane in 0..<planes {
              let d = dx + plane * h * w
              let src = gp + plane * oh * ow
              for (i, r) in rows.enumerated() {
                for (j, q) in cols.enumerated() {
                  let v = src[i * ow + j] / Float(r.count * q.count)
                  for iy in r {
                    let row = d + iy * w
                    for ix in q { row[ix] += v }
                  }
                }
              }
            }
          }
        }
      ]
    }
  }
}
