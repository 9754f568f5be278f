import DPQTensor
import Testing

@testable import DPQNN

/// Finite-difference check of a module's gradients with respect to its input and every
/// parameter: the scalar is `sum(module(x) * w)` for a fixed random `w`; values are perturbed in
/// place by ±epsilon. Returns the largest |analytic - numeric| / max(1, |numeric|).
func moduleGradientError(
  _ module: Module, input: Tensor, epsilon: Float = 1e-2, probes: Int = 40,
  seed: UInt64 = 5
) throws -> (error: Float, where: String) {
  var rng = RandomGenerator(seed: seed)
  module.zeroGrad()
  let x = input.requiringGrad()
  let y = try module(x)
  let w = try Tensor.randomNormal(y.shape, using: &rng)
  try y.backward(w)
  let weights = w.scalars.map(Double.init)
  func loss(_ input: Tensor) throws -> Double {
    let out = try Tensor.withNoGrad { try module(input) }
    return zip(out.scalars, weights).reduce(0.0) { $0 + Double($1.0) * $1.1 }
  }
  var worst: Float = 0
  var worstAt = ""
  func probe(_ name: String, _ analytic: [Float], count: Int, perturb: (Int, Float) -> Void, input: Tensor) throws {
    let indices = count <= probes ? Array(0..<count) : try rng.choice(count, count: probes)
    for j in indices {
      perturb(j, epsilon)
      let plus = try loss(input)
      perturb(j, -2 * epsilon)
      let minus = try loss(input)
      perturb(j, epsilon)
      let numeric = Float((plus - minus) / Double(2 * epsilon))
      let e = abs(analytic[j] - numeric) / max(1, abs(numeric))
      if e > worst || e.isNaN {
        worst = e.isNaN ? .infinity : e
        worstAt = "\(name)[\(j)]: analytic \(analytic[j]), numeric \(numeric)"
      }
    }
  }
  let inputGrad = x.grad?.scalars ?? [Float](repeating: 0, count: input.count)
  // the input is perturbed on a private copy (the mutable access copies the shared storage)
  var copy = input.detached()
  copy.withUnsafeMutableBufferPointer { _ in }
  try probe(
    "input", inputGrad, count: input.count, perturb: { j, d in copy.updateSharedStorage { $0[j] += d } }, input: copy)
  for (name, p) in module.namedParameters() {
    let analytic = p.grad?.scalars ?? [Float](repeating: 0, count: p.count)
    try probe(
      name, analytic, count: p.count, perturb: { j, d in p.value.updateSharedStorage { $0[j] += d } }, input: input)
  }
  return (worst, worstAt)
}

/// Random normal values of `shape` from `seed`.
func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  return try Tensor.randomNormal(shape, std: std, using: &rng)
}

/// Whether two arrays agree within `tolerance` (absolute, scaled by magnitude above 1).
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-4) -> Bool {
  a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}
