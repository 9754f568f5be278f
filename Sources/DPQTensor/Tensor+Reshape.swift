/// Reshaping shares storage: a contiguous tensor is the same bytes under any shape. reshape is a
/// primitive (GradientTable).

extension Tensor {
  /// The same values under a new shape; one dimension may be -1 and is inferred.
  public func reshaped(_ newShape: [Int]) throws -> Tensor {
    var target = newShape
    let inferred = newShape.indices.filter { newShape[$0] == -1 }
    guard inferred.count <= 1, newShape.allSatisfy({ $0 >= -1 }) else {
      throw TensorError.invalidReshape(from: shape, to: newShape)
    }
    // the known dimensions are checked first: their product must not overflow (a trap)
    try Tensor.checkShape(newShape.filter { $0 != -1 }, op: "reshape")
    let known = newShape.filter { $0 != -1 }.reduce(1, *)
    if let i = inferred.first {
      guard known > 0, count % known == 0 else { throw TensorError.invalidReshape(from: shape, to: newShape) }
      target[i] = count / known
    }
    guard target.reduce(1, *) == count else { throw TensorError.invalidReshape(from: shape, to: newShape) }
    return reshapedNode(target)
  }

  /// The reshape primitive for a `target` already checked to hold `count` elements: what
  /// squeeze, unsqueeze, flatten and stack are composed from.
  func reshapedNode(_ target: [Int]) -> Tensor {
    let v = Tensor(shape: target, storage: storage)
    let original = shape
    return Tensor.record(v, op: "reshape", inputs: [self]) { g in [try g.reshaped(original)] }
  }
}
