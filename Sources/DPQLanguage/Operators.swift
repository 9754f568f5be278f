import DPQTensor
import Foundation

/// The arithmetic, comparison and membership operators on values.
///
/// Numbers follow IEEE doubles except that `/` and `%` by zero are errors; `%` is floored (the
/// result has the divisor's sign, as in Python). Strings: `+` concatenates, `*` repeats. Lists:
/// `+` concatenates into a new list, `*` repeats. Tensors (with numbers, tensors or nested lists):
/// `+ - * / **` elementwise with broadcasting, `@` matrix product, comparisons give 0/1 masks.
enum Operators {
  static func binary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
    switch (a, b) {
    case (.number(let x), .number(let y)):
      return try numeric(op, x, y)
    case (.tensor, _), (_, .tensor):
      return try tensorBinary(op, a, b)
    default:
      break
    }
    switch op {
    case .equal: return .bool(equal(a, b))
    case .notEqual: return .bool(!equal(a, b))
    case .contains: return .bool(try contains(a, in: b))
    default: break
    }
    switch (op, a, b) {
    case (.add, .string(let x), .string(let y)):
      return .string(x + y)
    case (.multiply, .string(let s), .number), (.multiply, .number, .string(let s)):
      return .string(String(repeating: s, count: try repeatCount(a.isString ? b : a)))
    case (.add, .list(let x), .list(let y)):
      return .list(ListObject(x.items + y.items))
    case (.multiply, .list(let l), .number), (.multiply, .number, .list(let l)):
      let n = try repeatCount(a.isList ? b : a)
      guard n * l.items.count <= 10_000_000 else {
        throw ScriptError.failure("a list of \(n * l.items.count) items is too large (the limit is 10,000,000)")
      }
      return .list(ListObject(Array([[Value]](repeating: l.items, count: n).joined())))
    case (.less, .string(let x), .string(let y)): return .bool(x < y)
    case (.lessEqual, .string(let x), .string(let y)): return .bool(x <= y)
    case (.greater, .string(let x), .string(let y)): return .bool(x > y)
    case (.greaterEqual, .string(let x), .string(let y)): return .bool(x >= y)
    case (.add, .string, _), (.add, _, .string):
      throw ScriptError.failure(
        "cannot add \(a.typeName) and \(b.typeName): convert with str(), or use \"{x}\" interpolation")
    default:
      let verb = op.isComparison ? "compare" : "apply '\(op.rawValue)' to"
      throw ScriptError.failure(
        "cannot \(verb) \(a.typeName) and \(b.typeName)" + (op.isComparison ? " with '\(op.rawValue)'" : ""))
    }
  }

  private static func repeatCount(_ v: Value) throws -> Int {
    guard let n = v.integerValue else { throw ScriptError.failure("can only repeat by an integer, got \(v.repr())") }
    guard n <= 10_000_000 else { throw ScriptError.failure("repeat count \(n) is too large") }
    return Swift.max(0, n)
  }

  static func numeric(_ op: BinaryOperator, _ x: Double, _ y: Double) throws -> Value {
    switch op {
    case .add: return .number(x + y)
    case .subtract: return .number(x - y)
    case .multiply: return .number(x * y)
    case .divide:
      if y == 0 { throw ScriptError.failure("division by zero") }
      return .number(x / y)
    case .remainder:
      if y == 0 { throw ScriptError.failure("modulo by zero") }
      let r = x.truncatingRemainder(dividingBy: y)
      return .number(r != 0 && (r < 0) != (y < 0) ? r + y : r)
    case .power: return .number(Foundation.pow(x, y))
    case .matmul: throw ScriptError.failure("'@' is the matrix product of tensors; use '*' for numbers")
    case .equal: return .bool(x == y)
    case .notEqual: return .bool(x != y)
    case .less: return .bool(x < y)
    case .lessEqual: return .bool(x <= y)
    case .greater: return .bool(x > y)
    case .greaterEqual: return .bool(x >= y)
    case .contains: throw ScriptError.failure("cannot test membership 'in' a number")
    }
  }

  static func tensorBinary(_ op: BinaryOperator, _ a: Value, _ b: Value) throws -> Value {
    if op == .contains { throw ScriptError.failure("'in' does not apply to tensors; compare and use .sum() or .max()") }
    guard isTensorOperand(a), isTensorOperand(b) else {
      throw ScriptError.failure("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)")
    }
    let x = try TensorConversion.tensor(from: a)
    let y = try TensorConversion.tensor(from: b)
    return .tensor(try TensorBridge.binary(op, x, y))
  }

  private static func isTensorOperand(_ v: Value) -> Bool {
    switch v {
    case .tensor, .number, .list, .bool: return true
    default: return false
    }
  }

  static func negate(_ v: Value) throws -> Value {
    switch v {
    case .number(let x): return .number(-x)
    case .tensor(let t):
      try Tensor.checkShape(t.shape, op: "neg") // the memory left under an rlimit
      return .tensor(-t)
    default: throw ScriptError.failure("cannot negate \(v.typeName)")
    }
  }

  /// Deep equality: lists and records compare their contents, tensors their shape and values,
  /// functions and host objects their identity. Values of different types are not equal.
  static func equal(_ a: Value, _ b: Value, depth: Int = 0) -> Bool {
    if depth > 100 { return false }
    switch (a, b) {
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.nilValue, .nilValue): return true
    case (.list(let x), .list(let y)):
      if x === y { return true }
      return x.items.count == y.items.count && zip(x.items, y.items).allSatisfy { equal($0, $1, depth: depth + 1) }
    case (.record(let x), .record(let y)):
      if x === y { return true }
      return Set(x.keys) == Set(y.keys)
        && x.fields.allSatisfy { f in y[f.key].map { equal(f.value, $0, depth: depth + 1) } ?? false }
    case (.tensor(let x), .tensor(let y)): return x == y
    case (.function(let x), .function(let y)): return x === y
    case (.builtin(let x), .builtin(let y)): return x === y
    case (.method(let x), .method(let y)): return x.name == y.name && equal(x.receiver, y.receiver, depth: depth + 1)
    case (.host(let x), .host(let y)): return x === y
    default: return false
    }
  }

  static func contains(_ needle: Value, in haystack: Value) throws -> Bool {
    switch haystack {
    case .list(let l): return l.items.contains { equal($0, needle) }
    case .record(let r):
      guard case .string(let key) = needle else {
        throw ScriptError.failure("record keys are strings, got \(needle.typeName)")
      }
      return r[key] != nil
    case .string(let s):
      guard case .string(let sub) = needle else {
        throw ScriptError.failure("'in' a string needs a string, got \(needle.typeName)")
      }
      return sub.isEmpty || s.contains(sub)
    default:
      throw ScriptError.failure("cannot test membership 'in' \(haystack.typeName)")
    }
  }
}

extension Value {
  var isString: Bool { if case .string = self { return true } else { return false } }
  var isList: Bool { if case .list = self { return true } else { return false } }
}
