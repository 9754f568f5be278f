/// One parameter of a builtin's signature.
public struct Parameter {
  public enum Kind {
    /// Passed by position or by name.
    case positional
    /// Passed only by name (`seed: 1`).
    case keywordOnly
    /// Takes all remaining positional arguments (`print(a, b, c)`).
    case variadic
  }

  public var name: String
  public var type: ValueType
  /// nil: the argument is required (a variadic parameter is never required).
  public var defaultValue: Value?
  public var kind: Kind

  public init(_ name: String, _ type: ValueType = .any, default defaultValue: Value? = nil, kind: Kind = .positional) {
    self.name = name
    self.type = type
    self.defaultValue = defaultValue
    self.kind = kind
  }

  /// A keyword-only parameter with a default.
  public static func keyword(_ name: String, _ type: ValueType, default defaultValue: Value) -> Parameter {
    Parameter(name, type, default: defaultValue, kind: .keywordOnly)
  }

  /// The parameter that collects the remaining positional arguments.
  public static func variadic(_ name: String, _ type: ValueType = .any) -> Parameter {
    Parameter(name, type, kind: .variadic)
  }

  var isRequired: Bool { defaultValue == nil && kind != .variadic }

  /// `shape`, `seed: nil`, `values...`
  var rendered: String {
    switch kind {
    case .variadic: return "\(name)..."
    default:
      guard let d = defaultValue else { return name }
      return "\(name): \(d.repr())"
    }
  }
}

/// A function or method implemented in Swift, registered once in the `BuiltinRegistry` with
/// everything `help`, completion, argument checking and the language reference need.
public final class Builtin {
  public let name: String
  /// The type name of the receiver for a method (`tensor`, `list`, `dataset`), nil for a function.
  public let receiver: String?
  /// A property is read without parentheses: `t.shape`.
  public let isProperty: Bool
  /// The family `help()` groups it under: `core`, `math`, `tensor`, `data`, ...
  public let family: String
  public let parameters: [Parameter]
  /// The type of the result, for the signature line (`tensor`, `number`, `nil`).
  public let returns: String
  public let summary: String
  public let doc: String
  public let example: String
  public let body: (Arguments) throws -> Value

  public init(
    _ name: String, on receiver: String? = nil, property: Bool = false, family: String,
    parameters: [Parameter] = [], returns: String = "nil", summary: String, doc: String = "",
    example: String, body: @escaping (Arguments) throws -> Value
  ) {
    self.name = name
    self.receiver = receiver
    self.isProperty = property
    self.family = family
    self.parameters = parameters
    self.returns = returns
    self.summary = summary
    self.doc = doc
    self.example = example
    self.body = body
  }

  /// `zeros` or `tensor.sum`.
  public var qualifiedName: String { receiver.map { "\($0).\(name)" } ?? name }

  /// `randn(shape, seed: nil) -> tensor`, `tensor.shape -> list`.
  public var signature: String {
    if isProperty { return "\(qualifiedName) -> \(returns)" }
    return "\(qualifiedName)(" + parameters.map(\.rendered).joined(separator: ", ") + ") -> \(returns)"
  }
}
