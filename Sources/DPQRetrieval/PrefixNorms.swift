/// The squared reconstruction norms of every item for every prefix length, one contiguous array
/// per prefix (block-major), so that the scan of one code length reads its norms sequentially and
/// adding items appends to each array in place: building an index in many `add` calls costs time
/// proportional to the items added, not to the items already there.
struct PrefixNorms: Equatable, Sendable {
  /// `byPrefix[m][i]` = `||sum_{j<=m} c_{j, b_ij}||^2`.
  private(set) var byPrefix: [[Float]]

  init(blockCount: Int) { byPrefix = Array(repeating: [], count: blockCount) }

  var count: Int { byPrefix.first?.count ?? 0 }

  /// Bytes held (4 per item and prefix).
  var byteCount: Int { byPrefix.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size } }

  /// The norm of `item` with the first `blocks` codes.
  subscript(item: Int, blocks blocks: Int) -> Float { byPrefix[blocks - 1][item] }

  /// Appends block-major norms `[M][added]` of newly added items.
  mutating func append(blockMajor norms: [Float], added: Int) {
    for m in byPrefix.indices {
      byPrefix[m].append(contentsOf: norms[(m * added)..<((m + 1) * added)])
    }
  }

  mutating func reserveCapacity(items: Int) {
    for m in byPrefix.indices { byPrefix[m].reserveCapacity(items) }
  }

  mutating func removeAll() {
    for m in byPrefix.indices { byPrefix[m] = [] }
  }

  /// Calls `body` with one base pointer per prefix length (nil while the index is empty).
  func withPointers<R>(_ body: ([UnsafePointer<Float>?]) throws -> R) rethrows -> R {
    try Self.nest(byPrefix[...], [], body)
  }

  private static func nest<R>(
    _ rest: ArraySlice<[Float]>, _ done: [UnsafePointer<Float>?],
    _ body: ([UnsafePointer<Float>?]) throws -> R
  ) rethrows -> R {
    guard let first = rest.first else { return try body(done) }
    return try first.withUnsafeBufferPointer { try nest(rest.dropFirst(), done + [$0.baseAddress], body) }
  }
}
