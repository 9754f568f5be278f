import DPQTensor
import Foundation

/// The tensor operations the language's operators and subscripts map to.
enum TensorBridge {
  static func binary(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    switch op {
    case .add: return try a + b
    case .subtract: return try a - b
    case .multiply: return try a * b
    case .divide: return try a / b
    case .matmul: return try Tensor.matmul(a, b)
    case .power: return try power(a, b)
    case .equal: return try Tensor.equal(a, b)
    case .notEqual: return try Tensor.notEqual(a, b)
    case .less: return try Tensor.less(a, b)
    case .lessEqual: return try Tensor.lessEqual(a, b)
    case .greater: return try Tensor.greater(a, b)
    case .greaterEqual: return try Tensor.greaterEqual(a, b)
    case .remainder: throw ScriptError.failure("'%' is not defined for tensors")
    case .contains: throw ScriptError.failure("'in' does not apply to tensors; compare and use .sum() or .max()")
    }
  }

  /// `a ** b` when the exponent or the base has one element: `t ** 2` is `pow` (the gradient flows
  /// to the base), `2 ** t` is `exp(t * log 2)`.
  static func power(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let shape = try Tensor.broadcastShape(a.shape, b.shape, op: "pow")
    // the elementwise ops below cannot refuse a size themselves: the memory left is checked here
    try Tensor.checkShape(shape, op: "pow")
    let r: Tensor
    if b.count == 1 {
      r = a.pow(try b.item())
    } else if a.count == 1 {
      let base = try a.item()
      guard base > 0 else {
        throw ScriptError.failure("number ** tensor needs a positive base, got \(Value.format(number: Double(base)))")
      }
      r = try (b * Float(Foundation.log(Double(base)))).exp()
    } else {
      throw ScriptError.failure("'**' needs a one-element base or exponent, got shapes \(a.shape) and \(b.shape)")
    }
    return r.shape == shape ? r : try r.reshaped(shape)
  }

  /// Elementwise functions by their script name.
  static func unary(_ name: String, _ t: Tensor) throws -> Tensor {
    // the ops cannot refuse a size themselves: under an rlimit or cgroup limit the result must
    // fit in what is left, or the allocation would trap
    try Tensor.checkShape(t.shape, op: name)
    switch name {
    case "abs": return t.abs()
    case "sqrt": return t.sqrt()
    case "exp": return t.exp()
    case "log": return t.log()
    case "tanh": return t.tanh()
    case "relu": return t.relu()
    case "sigmoid": return t.sigmoid()
    case "square": return t.square()
    default: throw ScriptError.failure("'\(name)' is not an elementwise tensor function")
    }
  }

  /// Row `i` along the first axis: a number for a rank-1 tensor, else a tensor of rank - 1.
  static func row(_ t: Tensor, _ i: Int) throws -> Value {
    if t.rank == 1 { return .number(TensorConversion.double(try t.value(at: [i]))) }
    return .tensor(try t.sliced([.index(i)]))
  }

  /// `t[...]`: integers, slices and `:` per axis (NumPy basic indexing), or one list of integers
  /// selecting rows. A full set of integers gives a number.
  static func subscriptGet(_ t: Tensor, _ indices: [ScriptIndex]) throws -> Value {
    if indices.count == 1, case .value(.list(let l)) = indices[0] {
      let rows = try l.items.map { v -> Int in
        guard let n = v.integerValue else {
          throw ScriptError.failure("tensor row indices must be integers, got \(v.repr())")
        }
        return n
      }
      return .tensor(try t.indexSelect(axis: 0, indices: rows))
    }
    let spec = try tensorSpec(indices)
    let allIntegers = spec.allSatisfy { if case .index = $0 { return true } else { return false } }
    if allIntegers && spec.count == t.rank {
      return .number(
        TensorConversion.double(try t.value(at: spec.map { if case .index(let i) = $0 { return i } else { return 0 } }))
      )
    }
    return .tensor(try t.sliced(spec))
  }

  /// `t[...] = value` with a number, a tensor or nested lists broadcast to the region.
  static func assign(_ t: inout Tensor, _ indices: [ScriptIndex], _ value: Value) throws {
    let spec = try tensorSpec(indices)
    switch value {
    case .number(let x): try t.assign(Float(x), at: spec)
    case .tensor, .list, .bool: try t.assign(try TensorConversion.tensor(from: value), at: spec)
    default: throw ScriptError.failure("cannot store \(value.typeName) in a tensor")
    }
  }

  private static func tensorSpec(_ indices: [ScriptIndex]) throws -> [TensorIndex] {
    try indices.map { index in
      switch index {
      case .value(let v):
        guard let n = v.integerValue else {
          throw ScriptError.failure(
            "tensor index must be an integer or a slice, got \(v.typeName == "number" ? v.repr() : v.typeName)")
        }
        return .index(n)
      case .slice(let start, let stop, let step):
        if start == nil && stop == nil && (step == nil || step == 1) { return .all }
        guard step != 0 else { throw ScriptError.failure("slice step cannot be zero") }
        return .range(start: start, end: stop, step: step ?? 1)
      }
    }
  }
}
