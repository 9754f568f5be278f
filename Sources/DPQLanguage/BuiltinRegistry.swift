/// The one table of builtins: functions, and methods and properties of each value type.
///
/// Libraries add to it with `register(_:)`; `BuiltinRegistry.standard()` is the set a session
/// starts with. Each entry is registered once; help, the REPL's `?name`, completion and the
/// language reference are all rendered from this table.
///
/// A binding library is an enum with `static func register(into:)`, listed in `standard()`:
///
///     enum DataBindings {
///       static func register(into r: inout BuiltinRegistry) {
///         r.register(Builtin("fashion_mnist", family: "data", parameters: [.keyword("root", .optional(.string), default: .nilValue)],
///                            returns: "dataset", summary: "Loads Fashion-MNIST.", example: "data = fashion_mnist()") { a in
///           .host(DatasetObject(try FashionMNIST.load(root: a.has("root") ? a.string("root") : nil)))
///         })
///         // a method of the host type "dataset" (DatasetObject.typeName), with checked arguments:
///         r.register(Builtin("split", on: "dataset", family: "data",
///                            parameters: [.keyword("train", .integer, default: .number(0)), .keyword("seed", .integer, default: .number(0))],
///                            returns: "record", summary: "Splits into train, query and database sets.",
///                            example: "...") { a in
///           let data = try a.receiverHost(as: DatasetObject.self)
///           ...
///         })
///       }
///     }
///
/// Argument errors (`bad argument #2 to 'split' (integer expected, got string)`, unknown keywords,
/// missing arguments) come from the signature; a body reports its own with
/// `throw a.badArgument("train", "must be positive")` or `throw ScriptError.failure("...")`,
/// and any `Error` it throws is shown at the call's location.
public struct BuiltinRegistry {
  public private(set) var functions: [String: Builtin] = [:]
  /// Methods and properties by receiver type name, then by name.
  public private(set) var methods: [String: [String: Builtin]] = [:]
  /// Every entry in registration order (help and the reference keep this order).
  public private(set) var entries: [Builtin] = []

  public init() {}

  /// Adds a builtin; registering the same qualified name twice is a programming error.
  public mutating func register(_ builtin: Builtin) {
    if let receiver = builtin.receiver {
      precondition(methods[receiver]?[builtin.name] == nil, "builtin \(builtin.qualifiedName) registered twice")
      methods[receiver, default: [:]][builtin.name] = builtin
    } else {
      precondition(functions[builtin.name] == nil, "builtin \(builtin.name) registered twice")
      functions[builtin.name] = builtin
    }
    entries.append(builtin)
  }

  /// The method or property `name` of values of type `typeName`.
  public func method(_ name: String, on typeName: String) -> Builtin? { methods[typeName]?[name] }

  /// Families in the order their first entry was registered.
  public var families: [String] {
    var seen: [String] = []
    for e in entries where !seen.contains(e.family) { seen.append(e.family) }
    return seen
  }

  /// Every entry whose name or qualified name is `name` (`sum` finds `sum` and `tensor.sum`).
  public func lookup(_ name: String) -> [Builtin] {
    entries.filter { $0.qualifiedName == name || $0.name == name }
  }

  /// The language's own builtins, in the order help and the reference list them: core, math,
  /// strings and collections, tensors. `BuiltinRegistry.standard()` (DPQBindings) adds the
  /// library bindings after them and `registerSystemBuiltins()` last.
  public static func core() -> BuiltinRegistry {
    var registry = BuiltinRegistry()
    CoreBuiltins.register(into: &registry)
    MathBuiltins.register(into: &registry)
    CollectionBuiltins.register(into: &registry)
    TensorBuiltins.register(into: &registry)
    TensorMethods.register(into: &registry)
    return registry
  }

  /// The system family (environment, files, time), which the reference lists last.
  public mutating func registerSystemBuiltins() {
    SystemBuiltins.register(into: &self)
  }
}
