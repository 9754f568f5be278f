import CKernels
import DPQTensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and weight
/// decay, performing exactly PyTorch's `torch.optim.SGD` update:
/// `d = g + wd p; b = d (first step) or mu b + (1 - dampening) d; d = nesterov ? d + mu b : b; p -= lr d`.
public final class SGD: Optimizer {
  public let momentum: Float
  public let dampening: Float
  public let nesterov: Bool

  public init(groups: [ParameterGroup], momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false) throws {
    guard momentum >= 0, dampening >= 0 else {
      throw NNError.invalidArgument(
        op: "SGD", reason: "momentum and dampening must be non-negative (got \(momentum), \(dampening))")
    }
    if nesterov && (momentum <= 0 || dampening != 0) {
      throw NNError.invalidArgument(
        op: "SGD", reason: "Nesterov momentum requires a positive momentum and zero dampening")
    }
    self.momentum = momentum
    self.dampening = dampening
    self.nesterov = nesterov
    try super.init(groups: groups)
  }

  /// One group of parameters with a common rate.
  public convenience init(
    parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    nesterov: Bool = false, weightDecay: Float = 0
  ) throws {
    try self.init(
      groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
      momentum: momentum, dampening: dampening, nesterov: nesterov)
  }

  public override func update(
    _ value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, count: Int,
    state: OptimizerState, group: ParameterGroup
  ) {
    let lr = group.learningRate
    let wd = group.weightDecay
    let mu = momentum
    let damp = 1 - dampening
    if mu == 0 {
      for i in 0..<count { value[i] -= lr * (gradient[i] + wd * value[i]) }
      return
    }
    let buffer = state.slot(0)
    let first = state.step == 1
    let nesterov = self.nesterov
    // the loop in C (vectorised, bit for bit this update) over contiguous pieces on the workers
    Parallel.forEachRange(count, grain: 1 << 16) { r in
      let i = r.lowerBound
      dpq_sgd_momentum_update(
        value + i, gradient + i, buffer + i, r.count, lr, wd, mu, damp, first ? 1 : 0, nesterov ? 1 : 0)
    }
  }
}
