import Foundation

/// A learning-rate schedule: the rate at a step (or epoch) for a group whose initial rate is `base`.
public protocol LearningRateSchedule {
  func learningRate(base: Float, step: Int) -> Float
}

extension LearningRateSchedule {
  /// Sets every group's rate of `optimizer` to the schedule's rate at `step`, scaling each
  /// group's `initialLearningRate`.
  public func apply(to optimizer: Optimizer, step: Int) {
    for i in optimizer.parameterGroups.indices {
      optimizer.parameterGroups[i].learningRate = learningRate(
        base: optimizer.parameterGroups[i].initialLearningRate, step: step)
    }
  }
}

/// Multiplies the rate by `gamma` every `stepSize` steps, as PyTorch's `StepLR`:
/// `base * gamma^(step / stepSize)`.
public struct StepSchedule: LearningRateSchedule {
  public let stepSize: Int
  public let gamma: Float

  public init(stepSize: Int, gamma: Float = 0.1) throws {
    guard stepSize > 0, gamma >= 0 else {
      throw NNError.invalidArgument(
        op: "StepSchedule", reason: "stepSize must be positive and gamma non-negative (got \(stepSize), \(gamma))")
    }
    self.stepSize = stepSize
    self.gamma = gamma
  }

  public func learningRate(base: Float, step: Int) -> Float {
    base * Float(Foundation.pow(Double(gamma), Double(max(step, 0) / stepSize)))
  }
}

/// Multiplies the rate by `gamma` every step, as PyTorch's `ExponentialLR`: `base * gamma^step`.
public struct ExponentialSchedule: LearningRateSchedule {
  public let gamma: Float

  public init(gamma: Float) throws {
    guard gamma >= 0 else {
      throw NNError.invalidArgument(op: "ExponentialSchedule", reason: "gamma must be non-negative, got \(gamma)")
    }
    self.gamma = gamma
  }

  public func learningRate(base: Float, step: Int) -> Float {
    base * Float(Foundation.pow(Double(gamma), Double(max(step, 0))))
  }
}

/// Cosine annealing from the base rate down to `minimum` over `totalSteps`, as PyTorch's
/// `CosineAnnealingLR` with `T_max = totalSteps` and `eta_min = minimum`:
/// `minimum + (base - minimum) (1 + cos(pi step / totalSteps)) / 2`. After `totalSteps` the rate
/// stays at `minimum` (PyTorch would climb back up).
public struct CosineSchedule: LearningRateSchedule {
  public let totalSteps: Int
  public let minimum: Float

  public init(totalSteps: Int, minimum: Float = 0) throws {
    guard totalSteps > 0, minimum >= 0 else {
      throw NNError.invalidArgument(
        op: "CosineSchedule",
        reason: "totalSteps must be positive and minimum non-negative (got \(totalSteps), \(minimum))")
    }
    self.totalSteps = totalSteps
    self.minimum = minimum
  }

  public func learningRate(base: Float, step: Int) -> Float {
    let t = Double(min(max(step, 0), totalSteps)) / Double(totalSteps)
    return minimum + (base - minimum) * Float((1 + Foundation.cos(Double.pi * t)) / 2)
  }
}
