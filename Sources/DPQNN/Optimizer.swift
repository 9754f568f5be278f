import DPQTensor

/// Parameters that share a learning rate and weight decay, as a PyTorch param group.
public struct ParameterGroup {
  public var parameters: [Parameter]
  /// The current rate; schedules overwrite it from `initialLearningRate`.
  public var learningRate: Float
  public var weightDecay: Float
  /// The rate the group was created with, which schedules scale.
  public var initialLearningRate: Float

  public init(parameters: [Parameter], learningRate: Float, weightDecay: Float = 0) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.weightDecay = weightDecay
    initialLearningRate = learningRate
  }
}

/// The per-parameter state of an optimizer (momentum, moments): zero-filled float slots and a
/// step counter, updated in place over unsafe pointers.
public final class OptimizerState {
  /// How many updates this parameter has received.
  public internal(set) var step = 0
  let count: Int
  private var slots: [UnsafeMutablePointer<Float>] = []

  init(count: Int) { self.count = count }

  /// Slot `i` (allocated zero-filled on first use).
  func slot(_ i: Int) -> UnsafeMutablePointer<Float> {
    while slots.count <= i {
      let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
      p.initialize(repeating: 0, count: max(count, 1))
      slots.append(p)
    }
    return slots[i]
  }

  /// A copy of slot `i` as a tensor of `shape` (for inspection and tests).
  public func values(slot i: Int, shape: [Int]) -> Tensor {
    let p = slot(i)
    return Tensor(shape: shape) { o in for j in 0..<o.count { o[j] = p[j] } }
  }

  /// How many slots are in use.
  var slotCount: Int { slots.count }

  deinit { for p in slots { p.deallocate() } }
}

/// A reusable copy of an optimizer's per-parameter state (`Optimizer.saveState(into:)`): a trainer
/// refreshes it before every update, in place, so undoing a diverged step allocates nothing per step.
public final class OptimizerStateCopy {
  var states: [ObjectIdentifier: OptimizerState] = [:]
  var present: Set<ObjectIdentifier> = []

  public init() {}
}

/// The base of the optimizers, in the manner of mlx-swift: parameter groups, per-parameter state
/// and one update function each subclass provides. Parameters are updated in place (the leaf and
/// its storage stay the same), and parameters without a gradient are skipped, as in PyTorch.
open class Optimizer {
  public var parameterGroups: [ParameterGroup]
  private var states: [ObjectIdentifier: OptimizerState] = [:]

  public init(groups: [ParameterGroup]) throws {
    for g in groups where !(g.learningRate >= 0) || !(g.weightDecay >= 0) {
      throw NNError.invalidArgument(
        op: "\(type(of: self))",
        reason: "learning rate and weight decay must be non-negative (got \(g.learningRate), \(g.weightDecay))")
    }
    parameterGroups = groups
  }

  /// The rate of the first group; setting it sets every group's current rate.
  public var learningRate: Float {
    get { parameterGroups.first?.learningRate ?? 0 }
    set { for i in parameterGroups.indices { parameterGroups[i].learningRate = newValue } }
  }

  /// Every parameter the optimizer updates.
  public var parameters: [Parameter] { parameterGroups.flatMap(\.parameters) }

  /// The state of `parameter`, nil before its first update.
  public func state(for parameter: Parameter) -> OptimizerState? { states[ObjectIdentifier(parameter)] }

  /// Applies one update to every parameter that has a gradient.
  public func step() throws {
    for group in parameterGroups {
      for p in group.parameters {
        guard let g = p.grad else { continue }
        guard g.shape == p.shape else {
          throw NNError.invalidArgument(
            op: "\(type(of: self)).step",
            reason: "parameter '\(p.name)' of shape \(shapeText(p.shape)) has a gradient of shape \(shapeText(g.shape))"
          )
        }
        let key = ObjectIdentifier(p)
        let state = states[key] ?? OptimizerState(count: p.count)
        states[key] = state
        state.step += 1
        g.withUnsafeBufferPointer { gp in
          p.value.updateSharedStorage { value in
            update(value.baseAddress!, gradient: gp.baseAddress!, count: p.count, state: state, group: group)
          }
        }
      }
    }
  }

  /// Updates `count` values in place from their gradient; `state.step` is already the new step.
  open func update(
    _ value: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, count: Int,
    state: OptimizerState, group: ParameterGroup
  ) {}

  /// Forgets the gradients of every parameter.
  public func zeroGrad() { for p in parameters { p.zeroGrad() } }

  // MARK: undo (the trainer's last good state)

  /// Copies every parameter's state into `copy`, reusing its buffers: cheap enough for every step.
  public func saveState(into copy: OptimizerStateCopy) {
    copy.present = Set(states.keys)
    for (key, s) in states {
      let c: OptimizerState
      if let existing = copy.states[key], existing.count == s.count {
        c = existing
      } else {
        c = OptimizerState(count: s.count)
        copy.states[key] = c
      }
      c.step = s.step
      for j in 0..<s.slotCount { c.slot(j).update(from: s.slot(j), count: s.count) }
    }
  }

  /// Puts back the state `saveState(into:)` copied: parameters without state then have none again.
  public func restoreState(from copy: OptimizerStateCopy) {
    for key in Array(states.keys) where !copy.present.contains(key) { states[key] = nil }
    for key in copy.present {
      guard let c = copy.states[key] else { continue }
      let s = states[key] ?? OptimizerState(count: c.count)
      states[key] = s
      s.step = c.step
      for j in 0..<c.slotCount { s.slot(j).update(from: c.slot(j), count: c.count) }
    }
  }

  // MARK: state dictionary (checkpoints)

  /// The per-parameter state as named copies, for checkpoints: for the parameter at position `i` of
  /// `parameters`, `"i.step"` (a one-element tensor) and `"i.slot0"`, `"i.slot1"`, ... in its shape.
  /// Parameters that have not been updated yet have no entries.
  public func stateDict() -> [(String, Tensor)] {
    var out: [(String, Tensor)] = []
    for (i, p) in parameters.enumerated() {
      guard let s = states[ObjectIdentifier(p)] else { continue }
      out.append(("\(i).step", Tensor([Float(s.step)])))
      for j in 0..<s.slotCount { out.append(("\(i).slot\(j)", s.values(slot: j, shape: p.shape))) }
    }
    return out
  }

  /// Replaces the per-parameter state by `state` (as `stateDict()` returns it, for the same
  /// parameters in the same order). Nothing changes unless every entry fits.
  public func loadStateDict(_ state: [(String, Tensor)]) throws {
    let params = parameters
    var fresh: [ObjectIdentifier: OptimizerState] = [:]
    var pending: [(OptimizerState, Int, Tensor)] = []
    for (key, t) in state {
      let parts = key.split(separator: ".")
      guard parts.count == 2, let i = Int(parts[0]), params.indices.contains(i) else {
        throw NNError.unexpectedKey(key)
      }
      let p = params[i]
      let s = fresh[ObjectIdentifier(p)] ?? OptimizerState(count: p.count)
      fresh[ObjectIdentifier(p)] = s
      if parts[1] == "step" {
        guard t.count == 1, let v = t.scalars.first, v >= 0, v == v.rounded() else {
          throw NNError.invalidArgument(
            op: "\(type(of: self)).loadStateDict", reason: "'\(key)' must hold one non-negative whole number")
        }
        s.step = Int(v)
      } else if parts[1].hasPrefix("slot"), let j = Int(parts[1].dropFirst(4)), (0..<8).contains(j) {
        guard t.shape == p.shape else { throw NNError.stateShapeMismatch(key: key, expected: p.shape, got: t.shape) }
        pending.append((s, j, t))
      } else {
        throw NNError.unexpectedKey(key)
      }
    }
    for (s, j, t) in pending {
      let slot = s.slot(j)
      t.withUnsafeBufferPointer { src in for k in 0..<src.count { slot[k] = src[k] } }
    }
    states = fresh
  }
}
