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
  public init(
    _ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true,
    generator: inout RandomGenerator
  ) throws {
    guard inputFeatures > 0, outputFeatures > 0 else {
      throw NNError.invalidArgument(
        op: "Linear", reason: "feature counts must be positive (got \(inputFeatures) -> \(outputFeatures))")
    }
    self.inputFeatures = inputFeatures
    self.outputFeatures = outputFeatures
    let bound = 1 / Float(inputFeatures).squareRoot()
    weight = Parameter(
      try Tensor.randomUniform(
        [outputFeatures, inputFeatures], low: -bound, high: bound,
        using: &generator), name: "weight")
    self.bias =
      bias
      ? Parameter(
        try Tensor.randomUniform(
          [outputFeatures], low: -bound, high: bound,
          using: &generator), name: "bias") : nil
    super.init()
    registerParameter(weight, named: "weight")
    if let b = self.bias { registerParameter(b, named: "bias") }
  }

  /// A layer initialised from the module-level generator (see `Module.manualSeed`).
  public convenience init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true) throws {
    try self.init(inputFeatures, outputFeatures, bias: bias, generator: &defaultGenerator)
  }

  public override var profileLabel: String { "Linear \(inputFeatures)->\(outputFeatures)" }

  public override func forward(_ x: Tensor) throws -> Tensor {
    try Linear.affine(x, weight: weight.value, bias: bias?.value)
  }

  /// `x @ weight^T + bias` with a fused backward (three sgemm-free passes avoided: the bias is
  /// written first and the product accumulated onto it).
  static func affine(_ x: Tensor, weight w: Tensor, bias b: Tensor?) throws -> Tensor {
    guard w.rank == 2 else { throw NNError.badInput(layer: "Linear", expected: "a weight [out, in]", shape: w.shape) }
    let O = w.shape[0]
    let I = w.shape[1]
    guard x.rank >= 1, x.shape[x.rank - 1] == I else {
      throw NNError.badInput(layer: "Linear", expected: "an input [..., \(I)]", shape: x.shape)
    }
    if let b, b.shape != [O] { throw NNError.badInput(layer: "Linear", expected: "a bias [\(O)]", shape: b.shape) }
    let M = x.count / I
    let outShape = Array(x.shape.dropLast()) + [O]
    // Large products are split in two by rows of the output and the halves spread over the
    // workers, rather than left to OpenBLAS's own threads: one pool of threads for the whole
    // step, and no OpenBLAS thread spinning on a core a convolution worker needs. The split is
    // fixed, so the values do not depend on the number of threads.
    let pieces = 2 * M * O * I >= 1 << 22 && min(M, O) >= 2 ? 2 : 1
    let y = makeTensor(outShape) { yp in
      withValues(x) { xp in
        withValues(w) { wp in
          withOptionalValues(b) { bp in
            Parallel.forEachPiece(pieces) { piece in
              let rows = split(M, piece, pieces)
              if let bp { for r in rows { (yp + r * O).update(from: bp, count: O) } }
              BLAS.sgemm(
                transA: false, transB: true, m: rows.count, n: O, k: I, a: xp + rows.lowerBound * I, b: wp,
                beta: bp == nil ? 0 : 1, c: yp + rows.lowerBound * O)
            }
          }
        }
      }
    }
    let xd = x.detached()
    let wd = w.detached()
    let needX = x.requiresGrad
    let needW = w.requiresGrad
    let needB = b?.requiresGrad ?? false
    return Tensor.record(y, op: "linear", inputs: b.map { [x, w, $0] } ?? [x, w]) { g in
      withValues(g) { gp in
        let dx =
          needX
          ? withValues(wd) { wp in
            makeTensor(xd.shape) { dxp in
              Parallel.forEachPiece(pieces) { piece in
                let rows = split(M, piece, pieces)
                BLAS.sgemm(
                  transA: false, transB: false, m: rows.count, n: I, k: O, a: gp + rows.lowerBound * O, b: wp,
                  c: dxp + rows.lowerBound * I)
              }
            }
          } : nil
        let dw =
          needW
          ? withValues(xd) { xp in
            makeTensor([O, I]) { dwp in
              Parallel.forEachPiece(pieces) { piece in
                // rows o of the weight gradient are columns of g
                let rows = split(O, piece, pieces)
                BLAS.sgemm(
                  transA: true, transB: false, m: rows.count, n: I, k: M, a: gp + rows.lowerBound, lda: O,
                  b: xp, c: dwp + rows.lowerBound * I)
              }
            }
          } : nil
        let db =
          needB
          ? makeZeroedTensor([O]) { d in
            for r in 0..<M {
              let row = gp + r * O
              for o in 0..<O { d[o] += row[o] }
            }
          } : nil
        return b == nil ? [dx, dw] : [dx, dw, db]
      }
    }
  }
}

/// The `part`-th of `parts` nearly equal contiguous pieces of `0..<count`.
@inline(__always)
func split(_ count: Int, _ part: Int, _ parts: Int) -> Range<Int> {
  (count * part / parts)..<(count * (part + 1) / parts)
}
