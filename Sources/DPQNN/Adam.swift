import CKernels
import DPQTensor
import Foundation

/// Adam with bias correction and optional (L2, not decoupled) weight decay, performing exactly
/// PyTorch's `torch.optim.Adam` update:
/// `g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;`
/// `p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`.
public final class Adam: Optimizer {
  public let beta1: Float
  public let beta2: Float
  public let epsilon: Float

  public init(groups: [ParameterGroup], beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) throws {
    guard (0..<1).contains(beta1), (0..<1).contains(beta2), epsilon >= 0 else {
      throw NNError.invalidArgument(
        op: "Adam", reason: "betas must be in [0, 1) and epsilon non-negative (got \(beta1), \(beta2), \(epsilon))")
    }
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    try super.init(groups: groups)
  }

  /// One group of parameters with a common rate.
  public convenience init(
    parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    epsilon: Float = 1e-8, weightDecay: Float = 0
  ) throws {
    try self.init(
      groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
      beta1: beta1, beta2: beta2, epsilon: epsilon)
  }

  public override func update(
    _ value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, count: Int,
    state: OptimizerState, group: ParameterGroup
  ) {
    let m = state.slot(0)
    let v = state.slot(1)
    let t = Double(state.step)
    let correction1 = Float(1 - Foundation.pow(Double(beta1), t))
    let correction2Root = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot())
    let stepSize = group.learningRate / correction1
    let wd = group.weightDecay
    let b1 = beta1
    let b2 = beta2
    let eps = epsilon
    // the loop in C (vectorised, bit for bit this update) over contiguous pieces on the workers:
    // g = grad + wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g g; p -= step m / (sqrt(v) / c2 + eps)
    Parallel.forEachRange(count, grain: 1 << 16) { r in
      let i = r.lowerBound
      dpq_adam_update(
        value + i, gradient + i, m + i, v + i, r.count, stepSize, wd, b1, 1 - b1, b2, 1 - b2,
        correction2Root, eps)
    }
  }
}
