import DPQTensor

extension LabelledDataset {
  /// The same items with each one viewed as `itemShape` (e.g. CSV rows of 784 pixels as
  /// `[1, 28, 28]` images); one entry may be -1 and is inferred, as in NumPy.
  public func reshaped(_ itemShape: [Int]) throws -> LabelledDataset {
    let op = "reshape"
    var shape = itemShape
    guard !shape.isEmpty else {
      throw DataError.invalidArgument(op: op, reason: "the item shape needs at least one axis")
    }
    let unknown = shape.indices.filter { shape[$0] == -1 }
    guard unknown.count <= 1, shape.allSatisfy({ $0 > 0 || $0 == -1 }) else {
      throw DataError.invalidArgument(
        op: op, reason: "item shape \(shapeString(itemShape)) must hold positive sizes and at most one -1")
    }
    let known = shape.filter { $0 > 0 }.reduce(1, *)
    if let u = unknown.first, known > 0, itemSize % known == 0 { shape[u] = itemSize / known }
    guard shape.reduce(1, *) == itemSize else {
      throw DataError.invalidArgument(
        op: op,
        reason:
          "items of \(itemSize) values (shape \(shapeString(self.itemShape))) cannot be viewed as \(shapeString(itemShape))"
      )
    }
    return try withFeatures(features.reshaped([count] + shape))
  }
}
