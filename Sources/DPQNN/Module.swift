import DPQTensor

/// The generator layers draw their initial weights from when none is passed (see `Module.manualSeed`).
nonisolated(unsafe) var defaultGenerator = RandomGenerator(seed: 0)

/// The base of every layer and network, in the manner of PyTorch's `nn.Module` and mlx-swift's
/// `Module`: a module is called like a function, owns named parameters and buffers, and holds
/// named submodules, so `namedParameters()` yields PyTorch state-dict names (`conv1.weight`,
/// `0.bias` inside a `Sequential`, `backbone.fc.weight`).
///
/// Subclasses create their layers, call `super.init()`, register them explicitly with
/// `registerModule(_:named:)` / `registerParameter(_:named:)` / `registerBuffer(_:named:)`, and
/// override `forward(_:)`.
open class Module {
  /// Whether the module is in training mode (Dropout active, BatchNorm on batch statistics).
  public private(set) var isTraining = true
  /// The output shape of the most recent call, shown by `summary()`.
  public internal(set) var lastOutputShape: [Int]?

  private var ownParameters: [(String, Parameter)] = []
  private var ownBuffers: [(String, Buffer)] = []
  private var childModules: [(String, Module)] = []

  public init() { _ = tunedAllocator }

  /// Seeds the generator that layers use for their initial weights when none is passed
  /// (like `torch.manual_seed`).
  public static func manualSeed(_ seed: UInt64) { defaultGenerator = RandomGenerator(seed: seed) }

  /// Computes the module's output; subclasses override this.
  open func forward(_ x: Tensor) throws -> Tensor {
    throw NNError.forwardNotImplemented(module: typeName)
  }

  /// Runs `forward(_:)` and remembers the output shape for `summary()`.
  public func callAsFunction(_ x: Tensor) throws -> Tensor {
    let y = try OpProfiler.measure("\(profileLabel) forward") { try forward(x) }
    lastOutputShape = y.shape
    return y
  }

  /// The class name shown in summaries and errors (`Conv2D`).
  open var typeName: String { String(describing: type(of: self)) }

  /// The layer's label in `OpProfiler` tables (`Conv2D 1->32 5x5`); the type name by default.
  open var profileLabel: String { typeName }

  // MARK: registration

  /// Adds (or replaces) a submodule under `name`; its parameters appear as `name.<key>`.
  @discardableResult
  public func registerModule<M: Module>(_ module: M, named name: String) -> M {
    if let i = childModules.firstIndex(where: { $0.0 == name }) {
      childModules[i].1 = module
    } else {
      childModules.append((name, module))
    }
    return module
  }

  /// Adds (or replaces) a parameter of this module under `name`.
  @discardableResult
  public func registerParameter(_ parameter: Parameter, named name: String) -> Parameter {
    if let i = ownParameters.firstIndex(where: { $0.0 == name }) {
      ownParameters[i].1 = parameter
    } else {
      ownParameters.append((name, parameter))
    }
    return parameter
  }

  /// Adds (or replaces) a buffer (saved state that is not trained) under `name`.
  @discardableResult
  public func registerBuffer(_ buffer: Buffer, named name: String) -> Buffer {
    if let i = ownBuffers.firstIndex(where: { $0.0 == name }) {
      ownBuffers[i].1 = buffer
    } else {
      ownBuffers.append((name, buffer))
    }
    return buffer
  }

  // MARK: traversal

  /// The direct submodules with their names, in registration order.
  public func namedChildren() -> [(String, Module)] { childModules }

  /// The direct submodules, in registration order.
  public func children() -> [Module] { childModules.map(\.1) }

  /// This module and all its descendants, depth first, with dotted names ("" for this module).
  public func namedModules() -> [(String, Module)] {
    var out: [(String, Module)] = [("", self)]
    for (name, child) in childModules {
      out += child.namedModules().map { ($0.0.isEmpty ? name : name + "." + $0.0, $0.1) }
    }
    return out
  }

  /// Every parameter of this module and its descendants with its dotted state-dict name.
  public func namedParameters() -> [(String, Parameter)] {
    var out: [(String, Parameter)] = []
    for (prefix, module) in namedModules() {
      for (name, p) in module.ownParameters { out.append((prefix.isEmpty ? name : prefix + "." + name, p)) }
    }
    return out
  }

  /// Every parameter of this module and its descendants.
  public func parameters() -> [Parameter] { namedParameters().map(\.1) }

  /// Every buffer of this module and its descendants with its dotted name.
  public func namedBuffers() -> [(String, Buffer)] {
    var out: [(String, Buffer)] = []
    for (prefix, module) in namedModules() {
      for (name, b) in module.ownBuffers { out.append((prefix.isEmpty ? name : prefix + "." + name, b)) }
    }
    return out
  }

  /// The number of trainable scalars.
  public var parameterCount: Int { parameters().reduce(0) { $0 + $1.count } }

  // MARK: modes and gradients

  /// Switches this module and all its descendants to training (`true`) or evaluation mode.
  /// Open so a model can keep a frozen part in evaluation mode while the rest trains.
  open func train(_ mode: Bool = true) {
    for (_, m) in namedModules() { m.isTraining = mode }
  }

  /// Switches to evaluation mode: Dropout is the identity, BatchNorm uses its running statistics.
  public func eval() { train(false) }

  /// Forgets the gradients of every parameter.
  public func zeroGrad() { for p in parameters() { p.zeroGrad() } }

  // MARK: state dictionary

  /// Parameters and buffers by dotted name, in PyTorch's order (a module's own parameters, then its
  /// buffers, then its children). The tensors are copies: later training does not change them.
  public func stateDict() -> [(String, Tensor)] {
    var out: [(String, Tensor)] = []
    for (prefix, module) in namedModules() {
      let dot = prefix.isEmpty ? "" : prefix + "."
      for (name, p) in module.ownParameters { out.append((dot + name, copied(p.value))) }
      for (name, b) in module.ownBuffers { out.append((dot + name, copied(b.value))) }
    }
    return out
  }

  /// Replaces parameters and buffers by the entries of `state` (as `stateDict()` returns them).
  ///
  /// Nothing is changed unless every entry fits: a shape differing from the module's is refused
  /// naming the key; with `strict`, a missing or unexpected key is refused too. Values are copied.
  public func loadStateDict(_ state: [(String, Tensor)], strict: Bool = true) throws {
    var given: [String: Tensor] = [:]
    for (k, v) in state { given[k] = v }
    let params = namedParameters()
    let buffers = namedBuffers()
    var known = Set<String>()
    for (key, p) in params {
      known.insert(key)
      if let t = given[key], t.shape != p.shape {
        throw NNError.stateShapeMismatch(key: key, expected: p.shape, got: t.shape)
      } else if given[key] == nil && strict {
        throw NNError.missingKey(key)
      }
    }
    for (key, b) in buffers {
      known.insert(key)
      if let t = given[key], t.shape != b.value.shape {
        throw NNError.stateShapeMismatch(key: key, expected: b.value.shape, got: t.shape)
      } else if given[key] == nil && strict {
        throw NNError.missingKey(key)
      }
    }
    if strict, let extra = state.first(where: { !known.contains($0.0) }) { throw NNError.unexpectedKey(extra.0) }
    for (key, p) in params { if let t = given[key] { p.value = copied(t) } }
    for (key, b) in buffers { if let t = given[key] { b.value = copied(t) } }
  }

  /// `loadStateDict` from a dictionary.
  public func loadStateDict(_ state: [String: Tensor], strict: Bool = true) throws {
    try loadStateDict(state.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, strict: strict)
  }
}

/// A fresh copy of the values of `t`, with no graph and no shared storage.
func copied(_ t: Tensor) -> Tensor {
  Tensor(shape: t.shape) { o in t.withUnsafeBufferPointer { s in for i in 0..<s.count { o[i] = s[i] } } }
}
