import DPQTensor

/// A fully connected layer `y = x @ weight^T + bias`, as PyTorch's `nn.Linear`: weight
/// `[outputFeatures, inputFeatures]`, bias `[outputFeatures]`. Inputs `[..., inputFeatures]`.
public final class Linear: Module {
  public let inputFeatures: Int
  public let outputFeatures: Int
  /// `[outputFeatures, inputFeatures]`.
  public let weight: Parameter
  /// `[outputFeatures]`, or nil for a layer without bias.
  public let bias: Parameter?

  /// A layer initialised as PyTorch does (Kaiming-uniform with a = sqrt(5): weights and bias
  /// uniform in ±1/sqrt(inputFeatures)), drawing from `generator`.
  public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true,
              generator: inout RandomGenerator) throws {
    guard inputFeatures > 0, outputFeatures > 0 else {
      throw NNError.invalidArgument(op: "Linear", reason: "feature counts must be positive (got \(inputFeatures) -> \(outputFeatures))")
    }
    self.inputFeatures = inputFeatures
    self.outputFeatures = outputFeatures
    let bound = 1 / Float(inputFeatures).squareRoot()
    weight = Parameter(try Tensor.randomUniform([outputFeatures, inputFeatures], low: -bound, high: bound,
                                                using: &generator), name: "weight")
    self.bias = bias ? Parameter(try Tensor.randomUniform([outputFeatures], low: -bound, high: bound,
                                                          using: &generator), name: "bias") : nil
    super.init()
    registerParameter(weight, named: "weight")
    if let b = self.bias { registerParameter(b, named: "bias") }
  }

  /// A layer initialised from the module-level generator (see `Module.manualSeed`).
  public convenience init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) throws {
    try self.init(inputFeatures, outputFeatures, bias: bias, generator: &defaultGenerator)
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try Linear.affine(x, weight: weight.value, bias: bias?.value)
  }

  /// `x @ weight^T + bias` with a fused backward (three sgemm-free passes avoided: the bias is
  /// written first and the product accumulated onto it).
  static func affine(_ x: Tensor, weight w: Tensor, bias b: Tensor?) throws -> Tensor {
    guard w.rank == 2 else { throw NNError.badInput(layer: "Linear", expected: "a weight [out, in]", shape: w.shape) }
    let O = w.shape[0], I = w.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == I else {
      throw NNError.badInput(layer: "Linear", expected: "an input [..., \(I)]", shape: x.shape)
    }
    if let b, b.shape != [O] { throw NNError.badInput(layer: "Linear", expected: "a bias [\(O)]", shape: b.shape) }
    let M = x.count / I
    let outShape = Array(x.shape.dropLast()) + [O]
    let y = makeTensor(outShape) { yp in
      withValues(x) { xp in withValues(w) { wp in withOptionalValues(b) { bp in
        if let bp { for r in 0..<M { (yp + r * O).update(from: bp, count: O) } }
        BLAS.sgemm(transA: false, transB: true, m: M, n: O, k: I, a: xp, b: wp, beta: bp == nil ? 0 : 1, c: yp)
      }}}
    }
    let xd = x.detached(), wd = w.detached()
    let needX = x.requiresGrad, needW = w.requiresGrad, needB = b?.requiresGrad ?? false
    return Tensor.record(y, op: "linear", inputs: b.map { [x, w, $0] } ?? [x, w]) { g in
      withValues(g) { gp in
        let dx = needX ? withValues(wd) { wp in
          makeTensor(xd.shape) { BLAS.sgemm(transA: false, transB: false, m: M, n: I, k: O, a: gp, b: wp, c: $0) }
        } : nil
        let dw = needW ? withValues(xd) { xp in
          makeTensor([O, I]) { BLAS.sgemm(transA: true, transB: false, m: O, n: I, k: M, a: gp, b: xp, c: $0) }
        } : nil
        let db = needB ? makeZeroedTensor([O]) { d in
          for r in 0..<M { let row = gp + r * O; for o in 0..<O { d[o] += row[o] } }
        } : nil
        return b == nil ? [dx, dw] : [dx, dw, db]
      }
    }
  }
}
