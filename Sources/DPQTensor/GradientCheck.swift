/// Central finite-difference gradient checking, used by the tests of every differentiable op and
/// layer (and available to users who write their own ops).

public struct GradientCheckResult: CustomStringConvertible {
  /// Largest |analytic - numeric| / max(1, |numeric|) over all checked elements.
  public let maxError: Float
  /// Where the worst element was: input number and flat index.
  public let worst: (input: Int, index: Int, analytic: Float, numeric: Float)

  public var description: String {
    "max relative error \(maxError) at input \(worst.input) element \(worst.index): analytic \(worst.analytic), numeric \(worst.numeric)"
  }
}

extension Tensor {
  /// Compares the gradients `backward()` computes for `f(inputs)` with central differences.
  ///
  /// The scalar checked is `sum(f(x) * w)` for a fixed random `w`, so every output element
  /// contributes. Differences are taken in Float32 with step `epsilon`; the loss is accumulated in
  /// Double to keep cancellation error small. At most `maxElements` elements per input are
  /// probed (a seeded random subset of larger inputs).
  public static func checkGradients(
    of f: ([Tensor]) throws -> Tensor, at inputs: [Tensor],
    epsilon: Float = 1e-2, maxElements: Int = 64,
    seed: UInt64 = 1
  ) throws -> GradientCheckResult {
    var rng = RandomGenerator(seed: seed)
    let leaves = inputs.map { $0.detached().requiringGrad() }
    let out = try f(leaves)
    let w = try Tensor.randomNormal(out.shape, using: &rng)
    try out.backward(w)
    let wv = w.scalars.map(Double.init)

    func loss(_ xs: [Tensor]) throws -> Double {
      let y = try Tensor.withNoGrad { try f(xs) }
      return zip(y.scalars, wv).reduce(0.0) { $0 + Double($1.0) * $1.1 }
    }

    var maxError: Float = 0
    var worst = (input: 0, index: 0, analytic: Float(0), numeric: Float(0))
    for (i, x) in inputs.enumerated() {
      let analytic = leaves[i].grad?.scalars ?? [Float](repeating: 0, count: x.count)
      let probe = x.count <= maxElements ? Array(0..<x.count) : try rng.choice(x.count, count: maxElements)
      for j in probe {
        var plus = inputs.map { $0.detached() }
        var minus = plus
        plus[i].withUnsafeMutableBufferPointer { $0[j] += epsilon }
        minus[i].withUnsafeMutableBufferPointer { $0[j] -= epsilon }
        let numeric = Float((try loss(plus) - loss(minus)) / Double(2 * epsilon))
        let err = Swift.abs(analytic[j] - numeric) / Swift.max(1, Swift.abs(numeric))
        if err > maxError || err.isNaN {
          maxError = err.isNaN ? .infinity : err
          worst = (i, j, analytic[j], numeric)
        }
      }
    }
    return GradientCheckResult(maxError: maxError, worst: worst)
  }
}
