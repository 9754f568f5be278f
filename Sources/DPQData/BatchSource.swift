import DPQTensor

/// Training inputs a trainer reads batch by batch: a tensor already in memory, or an `ImageSet`
/// that decodes only the images a batch needs (keeping at most its cache limit of decoded
/// pixels), so a model trains on a folder whose pixels do not fit in memory.
public protocol BatchSource {
  /// Items in the source (the first dimension of every batch).
  var itemCount: Int { get }
  /// The shape of one item, `[C, H, W]` or `[d]`.
  var batchItemShape: [Int] { get }
  /// The items at `indices` as one tensor `[indices.count] + batchItemShape`.
  func batch(rows indices: [Int]) throws -> Tensor
  /// The items `range` in order, as one tensor.
  func batch(range: Range<Int>) throws -> Tensor
}

extension Tensor: BatchSource {
  public var itemCount: Int { shape.first ?? 0 }
  public var batchItemShape: [Int] { Array(shape.dropFirst()) }
  public func batch(rows indices: [Int]) throws -> Tensor { try indexSelect(axis: 0, indices: indices) }
  public func batch(range: Range<Int>) throws -> Tensor { try slice(axis: 0, range: range) }
}

extension ImageSet: BatchSource {
  public var itemCount: Int { count }
  public var batchItemShape: [Int] { itemShape }
  /// Decodes (or takes from the cache) the images at `indices`; random crops and flips are fresh.
  /// A file that cannot be decoded throws with its name.
  public func batch(rows indices: [Int]) throws -> Tensor { try batch(indices) }
  public func batch(range: Range<Int>) throws -> Tensor { try batch(Array(range)) }
}
