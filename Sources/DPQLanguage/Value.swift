import DPQTensor

/// A script value.
///
/// Numbers, strings, bools, nil and tensors are values: assigning copies them (tensors share
/// storage until written, copy-on-write). Lists and records are references, as in Python: two
/// names bound to one list see each other's `push`. Functions and host objects are references.
public enum Value {
  case number(Double)
  case string(String)
  case bool(Bool)
  case nilValue
  case list(ListObject)
  case record(RecordObject)
  /// A user function with its captured environment.
  case function(Closure)
  /// A registry function, unbound.
  case builtin(Builtin)
  /// A method looked up on a value but not yet called (`f = t.reshape`).
  case method(BoundMethod)
  case tensor(Tensor)
  /// A value owned by a Swift library: dataset, model, index, figure, ...
  case host(HostObject)

  /// The name `type(x)` returns and argument errors use.
  public var typeName: String {
    switch self {
    case .number: return "number"
    case .string: return "string"
    case .bool: return "bool"
    case .nilValue: return "nil"
    case .list: return "list"
    case .record: return "record"
    case .function, .builtin, .method: return "function"
    case .tensor: return "tensor"
    case .host(let h): return h.typeName
    }
  }

  /// Truthiness, as in Python: `false`, `nil`, `0`, `""`, `[]` and `{}` are false; a tensor of one
  /// element is its value; a larger tensor is ambiguous and raises an error.
  public func isTruthy() throws -> Bool {
    switch self {
    case .bool(let b): return b
    case .nilValue: return false
    case .number(let x): return x != 0
    case .string(let s): return !s.isEmpty
    case .list(let l): return !l.items.isEmpty
    case .record(let r): return !r.keys.isEmpty
    case .tensor(let t):
      guard t.count == 1 else {
        throw ScriptError.failure(
          "the truth value of a tensor with \(t.count) elements is ambiguous; use .item(), or compare its sum or max")
      }
      return try t.item() != 0
    case .function, .builtin, .method, .host: return true
    }
  }

  public var isNil: Bool { if case .nilValue = self { return true } else { return false } }

  /// The number as an exact integer, when it is one.
  public var integerValue: Int? {
    guard case .number(let x) = self, x.rounded() == x, abs(x) < 9.0e15 else { return nil }
    return Int(x)
  }
}

/// A mutable list shared by reference.
public final class ListObject {
  public var items: [Value]
  /// Whether the cycle collector holds a weak reference to this list.
  var cycleTracked = false
  public init(_ items: [Value]) { self.items = items }
}

/// A mutable record (`{name: "dpq", bits: [8, 16]}`) shared by reference; fields keep their
/// insertion order for printing and iteration.
public final class RecordObject {
  public private(set) var keys: [String] = []
  private var storage: [String: Value] = [:]
  /// Whether the cycle collector holds a weak reference to this record.
  var cycleTracked = false

  public init(_ fields: [(String, Value)] = []) {
    for (k, v) in fields { self[k] = v }
  }

  public subscript(key: String) -> Value? {
    get { storage[key] }
    set {
      if let v = newValue {
        if storage.updateValue(v, forKey: key) == nil { keys.append(key) }
      } else if storage.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  /// Removes every field.
  public func removeAll() {
    keys.removeAll()
    storage.removeAll()
  }

  public var fields: [(key: String, value: Value)] { keys.compactMap { k in storage[k].map { (k, $0) } } }
}

/// A user function value: its declaration and the environment it closes over.
public final class Closure {
  let declaration: FunctionDecl
  let environment: Environment

  init(declaration: FunctionDecl, environment: Environment) {
    self.declaration = declaration
    self.environment = environment
  }

  /// The function's name, or `<lambda>`.
  public var name: String { declaration.name ?? "<lambda>" }
  public var parameterNames: [String] { declaration.parameters.map(\.name) }
}

/// A method of a value looked up but not called yet.
public final class BoundMethod {
  public let receiver: Value
  public let name: String

  public init(receiver: Value, name: String) {
    self.receiver = receiver
    self.name = name
  }
}
