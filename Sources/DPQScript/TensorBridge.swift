import DPQTensor

/// The tensor operations the language's operators and subscripts map to.
enum TensorBridge {
  static func binary(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    switch op {
    case .add: return try a + b
    case .subtract: return try a - b
    case .multiply: return try a * b
    case .divide: return try a / b
    case .matmul: return try Tensor.matmul(a, b)
    default: throw ScriptError.failure("'\(op.rawValue)' is not available for tensors yet")
    }
  }

  /// Elementwise functions by their script name.
  static func unary(_ name: String, _ t: Tensor) throws -> Tensor {
    throw ScriptError.failure("'\(name)' is not available for tensors yet")
  }

  /// Row `i` along the first axis: a number for a rank-1 tensor, else a tensor of rank - 1.
  static func row(_ t: Tensor, _ i: Int) throws -> Value {
    if t.rank == 1 { return .number(TensorConversion.double(try t.value(at: [i]))) }
    let inner = Array(t.shape.dropFirst())
    let n = inner.reduce(1, *)
    let row = t.withUnsafeBufferPointer { src in
      Tensor(shape: inner) { dst in for k in 0..<n { dst[k] = src[i * n + k] } }
    }
    return .tensor(row)
  }

  static func subscriptGet(_ t: Tensor, _ indices: [ScriptIndex]) throws -> Value {
    let positions = try integers(indices)
    guard positions.count == t.rank else { throw ScriptError.failure("tensor slicing is not available yet") }
    return .number(TensorConversion.double(try t.value(at: positions)))
  }

  static func assign(_ t: inout Tensor, _ indices: [ScriptIndex], _ value: Value) throws {
    let positions = try integers(indices)
    guard positions.count == t.rank, case .number(let x) = value else {
      throw ScriptError.failure("tensor slice assignment is not available yet")
    }
    try t.setValue(Float(x), at: positions)
  }

  private static func integers(_ indices: [ScriptIndex]) throws -> [Int] {
    try indices.map { index in
      guard case .value(let v) = index, let n = v.integerValue else {
        throw ScriptError.failure("tensor slicing is not available yet")
      }
      return n
    }
  }
}
