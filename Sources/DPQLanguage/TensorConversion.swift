import DPQTensor

/// Conversions between script values and tensors.
package enum TensorConversion {
  /// A tensor from a tensor, a number, a bool or a nested list of those (the nesting gives the
  /// shape and must be regular).
  package static func tensor(from value: Value) throws -> Tensor {
    switch value {
    case .tensor(let t): return t
    case .number(let x): return Tensor(scalar: Float(x))
    case .bool(let b): return Tensor(scalar: b ? 1 : 0)
    case .list(let l):
      var shape: [Int] = []
      var probe = Value.list(l)
      while case .list(let inner) = probe {
        // a list that contains itself, or absurd nesting, is not a tensor
        guard shape.count < 32 else {
          throw ScriptError.failure("the lists are nested more than 32 deep; a tensor has at most 32 axes")
        }
        shape.append(inner.items.count)
        guard let first = inner.items.first else { break }
        probe = first
      }
      if case .tensor(let t) = probe { shape += t.shape }
      var scalars: [Float] = []
      scalars.reserveCapacity(shape.reduce(1, *))
      try flatten(.list(l), shape: shape[...], into: &scalars)
      do {
        return try Tensor(shape: shape, scalars: scalars)
      } catch {
        throw ScriptError.failure("\(error)")
      }
    default:
      throw ScriptError.failure("tensor expected, got \(value.typeName)")
    }
  }

  private static func flatten(_ value: Value, shape: ArraySlice<Int>, into scalars: inout [Float]) throws {
    switch value {
    case .number(let x):
      guard shape.isEmpty else { throw ragged() }
      scalars.append(Float(x))
    case .bool(let b):
      guard shape.isEmpty else { throw ragged() }
      scalars.append(b ? 1 : 0)
    case .tensor(let t):
      guard Array(shape) == t.shape else { throw ragged() }
      scalars += t.scalars
    case .list(let l):
      guard let n = shape.first, l.items.count == n else { throw ragged() }
      for item in l.items { try flatten(item, shape: shape.dropFirst(), into: &scalars) }
    default:
      throw ScriptError.failure("a tensor holds numbers, got \(value.typeName) in the list")
    }
  }

  private static func ragged() -> ScriptError {
    .failure("the nested lists have different lengths; a tensor needs a regular shape")
  }

  /// A Float32 as the Double that prints the same (`0.1`, not `0.10000000149011612`).
  package static func double(_ x: Float) -> Double {
    if x.isNaN || x.isInfinite || x == x.rounded() { return Double(x) }
    return Double("\(x)") ?? Double(x)
  }

  /// Nested lists of numbers with the tensor's shape; a rank-0 tensor becomes a number.
  package static func list(from t: Tensor) -> Value {
    let shape = t.shape
    let strides = Tensor.strides(of: shape)
    return t.withUnsafeBufferPointer { buffer in
      func build(_ axis: Int, _ offset: Int) -> Value {
        if axis == shape.count { return .number(double(buffer[offset])) }
        return .list(ListObject((0..<shape[axis]).map { build(axis + 1, offset + $0 * strides[axis]) }))
      }
      return build(0, 0)
    }
  }
}
