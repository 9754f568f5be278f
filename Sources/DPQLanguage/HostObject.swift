/// A value owned by a Swift library (dataset, module, model, index, figure) and exposed to
/// scripts.
///
/// A host type needs only `typeName` and `description`. Methods are best registered in the
/// `BuiltinRegistry` with `receiver: typeName` (they then get argument checking, `help` and
/// completion for free); `attribute(_:)` and `callMethod(_:_:)` are for names known only at run
/// time. A registered method named `call` makes the object callable like a function.
public protocol HostObject: AnyObject {
  /// The type name scripts see in `type(x)` and in argument errors: `dataset`, `model`.
  var typeName: String { get }
  /// What the REPL and `print` show for the object.
  var description: String { get }
  /// Attribute names offered by Tab completion after `.` (registry methods are added to these).
  var attributeNames: [String] { get }
  /// The value of an attribute, or nil when the object has none of that name.
  func attribute(_ name: String) throws -> Value?
  /// Sets an attribute; returns false when the attribute cannot be set.
  func setAttribute(_ name: String, _ value: Value) throws -> Bool
  /// Calls a method not in the registry; returns nil when the object has no such method.
  func callMethod(_ name: String, _ arguments: CallArguments) throws -> Value?
  /// The elements `for x in object` visits, or nil when the object is not iterable.
  func makeIterator() throws -> AnyIterator<Value>?
  /// `object[indices]`, or nil when the object cannot be indexed.
  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value?
  /// `object[indices] = value`; returns false when the object does not support it.
  func subscriptSet(_ indices: [ScriptIndex], _ value: Value) throws -> Bool
}

extension HostObject {
  public var attributeNames: [String] { [] }
  public func attribute(_ name: String) throws -> Value? { nil }
  public func setAttribute(_ name: String, _ value: Value) throws -> Bool { false }
  public func callMethod(_ name: String, _ arguments: CallArguments) throws -> Value? { nil }
  public func makeIterator() throws -> AnyIterator<Value>? { nil }
  public func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? { nil }
  public func subscriptSet(_ indices: [ScriptIndex], _ value: Value) throws -> Bool { false }
}

/// Arguments as written at a call site, before any signature is applied.
public struct CallArguments {
  public var positional: [Value]
  public var keywords: [(name: String, value: Value)]

  public init(positional: [Value] = [], keywords: [(name: String, value: Value)] = []) {
    self.positional = positional
    self.keywords = keywords
  }
}
