/// Errors raised by the index, the search and the metrics. Every case says which call refused
/// and what to change, with the numbers involved.
public enum RetrievalError: Error, CustomStringConvertible, Equatable {
  /// Codebooks, rotation or codes whose shape does not fit the index.
  case invalidShape(op: String, name: String, shape: [Int], expected: String)
  /// Queries whose dimension differs from the index dimension D.
  case dimensionMismatch(op: String, expected: Int, got: Int)
  /// A block count outside 1...M.
  case blocksOutOfRange(op: String, blocks: Int, blockCount: Int)
  /// A non-positive or otherwise unusable k, R or N.
  case invalidCutoff(op: String, name: String, value: Int, reason: String)
  /// An item id outside 0..<count.
  case itemOutOfRange(op: String, item: Int, count: Int)
  /// Codes made for another quantizer (different M or K).
  case codesMismatch(expectedBlocks: Int, expectedCodewords: Int, gotBlocks: Int, gotCodewords: Int)
  /// A code value not below K (codes written through a raw buffer can hold anything).
  case codeOutOfRange(item: Int, block: Int, code: Int, codewordCount: Int)
  /// NaN or infinity where finite numbers are required.
  case nonFinite(op: String, name: String)
  /// A rotation that is not orthogonal, so decoded vectors and lookup-table scores would disagree.
  case notOrthogonal(maxDeviation: Float)
  /// Searching or evaluating an index that holds no items.
  case emptyIndex(op: String)
  /// Label data that cannot define relevance.
  case invalidLabels(reason: String)
  /// Two inputs whose lengths must agree.
  case countMismatch(op: String, name: String, expected: Int, got: Int)
  /// Any other argument that cannot be used.
  case invalidArgument(op: String, reason: String)

  public var description: String {
    switch self {
    case let .invalidShape(op, name, shape, expected):
      return "\(op): \(name) has shape \(format(shape)), expected \(expected)"
    case let .dimensionMismatch(op, expected, got):
      return "\(op): queries have dimension \(got) but the index holds \(expected)-dimensional vectors; pass queries of shape [nq, \(expected)]"
    case let .blocksOutOfRange(op, blocks, blockCount):
      return "\(op): blocks must be in 1...\(blockCount) (the index has \(blockCount) blocks), got \(blocks)"
    case let .invalidCutoff(op, name, value, reason):
      return "\(op): \(name) = \(value) is not usable: \(reason)"
    case let .itemOutOfRange(op, item, count):
      return "\(op): item \(item) is out of range; the index holds \(count) items (ids 0..<\(count))"
    case let .codesMismatch(eb, ek, gb, gk):
      return "add: codes have \(gb) blocks of K=\(gk) codewords, but the index expects \(eb) blocks of K=\(ek); encode with the quantizer whose codebooks built this index"
    case let .codeOutOfRange(item, block, code, k):
      return "add: item \(item), block \(block) holds code \(code), which is not below K=\(k)"
    case let .nonFinite(op, name):
      return "\(op): \(name) contains NaN or infinity; check the model or the features that produced it"
    case let .notOrthogonal(dev):
      return "Index: the rotation must be orthogonal (R R^T = I), but an entry of R R^T - I is \(dev); pass the rotation OPQ learned, or none"
    case let .emptyIndex(op):
      return "\(op): the index holds no items; call add(codes:) first"
    case let .invalidLabels(reason):
      return "labels: \(reason)"
    case let .countMismatch(op, name, expected, got):
      return "\(op): \(name) has \(got) entries, expected \(expected)"
    case let .invalidArgument(op, reason):
      return "\(op): \(reason)"
    }
  }
}

/// Formats a shape the way NumPy prints it: `[2, 3]`.
func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
