import DPQTensor

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`, as
/// PyTorch's `clip_grad_norm_`; returns the norm before clipping (accumulated in Double).
///
/// A non-finite norm is returned without touching the gradients: scaling cannot repair a NaN, and
/// the caller should refuse the step instead.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
  guard maxNorm > 0, maxNorm.isFinite else {
    throw NNError.invalidArgument(
      op: "clipGradientNorm", reason: "the maximum norm must be positive and finite, got \(maxNorm)")
  }
  let norm = squaredGradientSum(parameters).squareRoot()
  guard norm.isFinite, norm > Double(maxNorm) else { return Float(norm) }
  let factor = Float(Double(maxNorm) / (norm + 1e-6))
  for p in parameters { p.value.scaleGrad(by: factor) }
  return Float(norm)
}

/// The global L2 norm of the gradients of `parameters` (parameters without one count as zero).
public func gradientNorm(_ parameters: [Parameter]) -> Float { Float(squaredGradientSum(parameters).squareRoot()) }

/// The sum of squared gradient values, in Double so that large finite gradients do not overflow.
func squaredGradientSum(_ parameters: [Parameter]) -> Double {
  var sum = 0.0
  for p in parameters {
    guard let g = p.grad else { continue }
    g.withUnsafeBufferPointer { b in for v in b { sum += Double(v) * Double(v) } }
  }
  return sum
}
