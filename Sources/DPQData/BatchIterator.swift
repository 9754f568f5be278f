import DPQTensor

/// One mini-batch: rows of a dataset copied into contiguous tensors.
public struct Batch {
  /// `[b, ...item shape]`.
  public let features: Tensor
  public let labels: [Int]
  /// `[b, L]` for multi-label data.
  public let multiHot: Tensor?
  /// The items' positions in the dataset.
  public let indices: [Int]
  public var count: Int { labels.count }
}

/// Mini-batches over a dataset in a seeded order, each item exactly once per pass.
///
/// The iterator keeps the previous batch's buffer and writes the next batch into it when the
/// caller has let go of the previous one (the usual training loop), so a run does not allocate a
/// fresh batch every step; a batch the caller keeps is never overwritten (copy-on-write).
public struct BatchIterator: Sequence, IteratorProtocol {
  public let dataset: LabelledDataset
  /// Items per batch (the last batch may be smaller unless `dropLast`).
  public let size: Int
  /// Whether a last batch smaller than `size` is skipped.
  public let dropLast: Bool
  /// The order in which items are visited.
  public let order: [Int]
  private var cursor = 0
  private var featureBuffer: Tensor?
  private var multiHotBuffer: Tensor?

  /// Batches of `size` items; shuffled by `seed` and `epoch` (so every epoch has its own
  /// reproducible order), or in dataset order when `shuffle` is false.
  public init(
    _ dataset: LabelledDataset, size: Int, shuffle: Bool = true, seed: UInt64 = 0, epoch: Int = 0,
    dropLast: Bool = false
  ) throws {
    guard size > 0 else {
      throw DataError.invalidArgument(op: "batches", reason: "batch size must be positive, got \(size)")
    }
    self.dataset = dataset
    self.size = size
    self.dropLast = dropLast
    if shuffle {
      var rng = RandomGenerator(seed: seed &+ UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
      order = rng.permutation(dataset.count)
    } else {
      order = Array(0..<dataset.count)
    }
  }

  /// Number of batches in one pass.
  public var batchCount: Int { dropLast ? dataset.count / size : (dataset.count + size - 1) / size }

  public mutating func next() -> Batch? {
    let remaining = order.count - cursor
    guard remaining > 0, !(dropLast && remaining < size) else { return nil }
    let b = Swift.min(size, remaining)
    let indices = Array(order[cursor..<cursor + b])
    cursor += b
    let features = BatchIterator.fill(&featureBuffer, from: dataset.features, indices)
    let hot: Tensor?
    if let source = dataset.multiHot {
      hot = BatchIterator.fill(&multiHotBuffer, from: source, indices)
    } else {
      hot = nil
    }
    return Batch(features: features, labels: indices.map { dataset.labels[$0] }, multiHot: hot, indices: indices)
  }

  /// Gathers rows into `buffer`, reusing its storage when the shape fits and no one else holds it.
  /// Static, so that calling it does not copy `self` (and with it a second reference to the buffer).
  private static func fill(_ buffer: inout Tensor?, from source: Tensor, _ indices: [Int]) -> Tensor {
    let shape = [indices.count] + source.shape.dropFirst()
    let rowSize = source.shape.dropFirst().reduce(1, *)
    if var t = buffer, t.shape == shape {
      buffer = nil // drop our reference so an unshared buffer is written in place
      t.withUnsafeMutableBufferPointer { out in
        indices.withUnsafeBufferPointer { copyRows(source, $0, into: out.baseAddress, rowSize: rowSize) }
      }
      buffer = t
      return t
    }
    let t = gatherRows(source, indices)
    buffer = t
    return t
  }
}

extension LabelledDataset {
  /// Mini-batches of `size` items (see `BatchIterator`).
  public func batches(
    size: Int, shuffle: Bool = true, seed: UInt64 = 0, epoch: Int = 0,
    dropLast: Bool = false
  ) throws -> BatchIterator {
    try BatchIterator(self, size: size, shuffle: shuffle, seed: seed, epoch: epoch, dropLast: dropLast)
  }
}
