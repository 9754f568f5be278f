/// Subscripts: `list[i]`, `list[a:b:c]`, `string[i]`, `record["key"]`, `t[0, 1:3]`, `t[:, -1]`.
/// Negative positions count from the end; slices follow Python (clipped bounds, any step but 0).

/// One evaluated component of a subscript.
public enum ScriptIndex {
  case value(Value)
  case slice(start: Int?, stop: Int?, step: Int?)
}

extension Interpreter {
  func evaluateIndex(_ item: IndexItem, _ env: Environment) throws -> ScriptIndex {
    switch item {
    case .single(let e):
      return .value(try evaluate(e, env))
    case .slice(let start, let stop, let step):
      func bound(_ e: Expr?) throws -> Int? {
        guard let e else { return nil }
        let v = try evaluate(e, env)
        if v.isNil { return nil }
        guard let n = v.integerValue else {
          throw runtimeError("slice bounds must be integers, got \(v.repr())", at: e.location)
        }
        return n
      }
      return .slice(start: try bound(start), stop: try bound(stop), step: try bound(step))
    }
  }

  func subscriptGet(_ container: Value, _ indices: [ScriptIndex]) throws -> Value {
    switch container {
    case .list(let l):
      let index = try single(indices, for: "list")
      switch index {
      case .value(let v): return l.items[try position(v, count: l.items.count, in: "list")]
      case .slice(let start, let stop, let step):
        return .list(
          ListObject(try Interpreter.sliceIndices(count: l.items.count, start, stop, step).map { l.items[$0] }))
      }
    case .string(let s):
      let chars = Array(s)
      switch try single(indices, for: "string") {
      case .value(let v): return .string(String(chars[try position(v, count: chars.count, in: "string")]))
      case .slice(let start, let stop, let step):
        return .string(String(try Interpreter.sliceIndices(count: chars.count, start, stop, step).map { chars[$0] }))
      }
    case .record(let r):
      guard case .value(.string(let key)) = try single(indices, for: "record") else {
        throw ScriptError.failure("a record is indexed by a string key")
      }
      guard let v = r[key] else {
        throw ScriptError.failure("record has no field '\(key)'" + Suggestions.hint(for: key, among: r.keys))
      }
      return v
    case .tensor(let t):
      return try TensorBridge.subscriptGet(t, indices)
    case .host(let h):
      if let v = try h.subscriptGet(indices) { return v }
      throw ScriptError.failure("\(h.typeName) cannot be indexed")
    default:
      throw ScriptError.failure("\(container.typeName) cannot be indexed")
    }
  }

  /// Writes `value` at `indices`. Returns the changed container when it is a value type (a tensor)
  /// that the caller must store back; nil when the container changed in place.
  func subscriptSet(_ container: Value, _ indices: [ScriptIndex], _ value: Value) throws -> Value? {
    switch container {
    case .list(let l):
      guard case .value(let v) = try single(indices, for: "list") else {
        throw ScriptError.failure("assigning to a slice of a list is not supported; build a new list with + and slices")
      }
      l.items[try position(v, count: l.items.count, in: "list")] = value
      cycles.stored(value, into: container)
      return nil
    case .record(let r):
      guard case .value(.string(let key)) = try single(indices, for: "record") else {
        throw ScriptError.failure("a record is indexed by a string key")
      }
      r[key] = value
      cycles.stored(value, into: container)
      return nil
    case .tensor(var t):
      try TensorBridge.assign(&t, indices, value)
      return .tensor(t)
    case .string:
      throw ScriptError.failure("strings cannot be changed in place; build a new string")
    case .host(let h):
      if try h.subscriptSet(indices, value) { return nil }
      throw ScriptError.failure("\(h.typeName) does not support item assignment")
    default:
      throw ScriptError.failure("\(container.typeName) cannot be indexed")
    }
  }

  private func single(_ indices: [ScriptIndex], for type: String) throws -> ScriptIndex {
    guard indices.count == 1 else { throw ScriptError.failure("a \(type) takes one index, got \(indices.count)") }
    return indices[0]
  }

  private func position(_ v: Value, count: Int, in type: String) throws -> Int {
    guard let i = v.integerValue else {
      throw ScriptError.failure(
        "\(type) index must be an integer, got \(v.typeName == "number" ? v.repr() : v.typeName)")
    }
    let p = i < 0 ? i + count : i
    guard p >= 0 && p < count else {
      throw ScriptError.failure("\(type) index \(i) out of range for a \(type) of length \(count)")
    }
    return p
  }

  /// The positions `start:stop:step` selects from `count` items, Python's rules.
  package static func sliceIndices(count n: Int, _ start: Int?, _ stop: Int?, _ step: Int?) throws -> [Int] {
    let step = step ?? 1
    guard step != 0 else { throw ScriptError.failure("slice step cannot be zero") }
    func adjust(_ i: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
      guard var v = i else { return fallback }
      if v < 0 { v += n }
      return Swift.min(Swift.max(v, low), high)
    }
    if step > 0 {
      let s = adjust(start, 0, low: 0, high: n)
      let e = adjust(stop, n, low: 0, high: n)
      return Array(stride(from: s, to: e, by: step))
    }
    let s = adjust(start, n - 1, low: -1, high: n - 1)
    let e = adjust(stop, -1, low: -1, high: n - 1)
    return Array(stride(from: s, to: e, by: step))
  }
}
