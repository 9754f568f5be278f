import DPQTensor

/// A trainable tensor of a module: a leaf of the autodiff graph whose gradient `backward()` fills.
///
/// Optimizers hold parameters by reference and update `value` in place, so the leaf (and the
/// gradient it accumulates) stays the same object across steps.
public final class Parameter {
  /// The current values; always a leaf that requires grad.
  public var value: Tensor {
    // A fresh leaf on every assignment, so two parameters never share one gradient slot.
    didSet { value = value.detached().requiringGrad() }
  }
  /// The name inside its module (`weight`, `bias`); the full dotted name comes from `namedParameters()`.
  public let name: String

  /// A parameter holding `value` (detached from any graph and made a leaf).
  public init(_ value: Tensor, name: String = "") {
    self.value = value.detached().requiringGrad()
    self.name = name
  }

  /// The gradient accumulated by `backward()` since the last `zeroGrad()`, if any.
  public var grad: Tensor? { value.grad }

  /// The shape of the values.
  public var shape: [Int] { value.shape }

  /// The number of scalars.
  public var count: Int { value.count }

  /// Forgets the accumulated gradient.
  public func zeroGrad() { value.zeroGrad() }
}

/// A non-trainable tensor a module keeps as state (BatchNorm's running statistics). Buffers are
/// saved in `stateDict()` but are not parameters: optimizers never see them.
public final class Buffer {
  /// The current values (never part of a graph).
  public var value: Tensor
  /// The name inside its module (`running_mean`).
  public let name: String

  public init(_ value: Tensor, name: String = "") {
    self.value = value.detached()
    self.name = name
  }
}
