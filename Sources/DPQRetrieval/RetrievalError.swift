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
    case .invalidShape(let op, let name, let shape, let expected):
      return "\(op): \(name) has shape \(format(shape)), expected \(expected)"
    case .dimensionMismatch(let op, let expected, let got):
      return
        "\(op): queries have dimension \(got) but the index holds \(expected)-dimensional vectors; pass queries of shape [nq, \(expected)]"
    case .blocksOutOfRange(let op, let blocks, let blockCount):
      return "\(op): blocks must be in 1...\(blockCount) (the index has \(blockCount) blocks), got \(blocks)"
    case .invalidCutoff(let op, let name, let value, let reason):
      return "\(op): \(name) = \(value) is not usable: \(reason)"
    case .itemOutOfRange(let op, let item, let count):
      return "\(op): item \(item) is out of range; the index holds \(count) items (ids 0..<\(count))"
    case .codesMismatch(let eb, let ek, let gb, let gk):
      return
        "add: codes have \(gb) blocks of K=\(gk) codewords, but the index expects \(eb) blocks of K=\(ek); encode with the quantizer whose codebooks built this index"
    case .codeOutOfRange(let item, let block, let code, let k):
      return "add: item \(item), block \(block) holds code \(code), which is not below K=\(k)"
    case .nonFinite(let op, let name):
      return "\(op): \(name) contains NaN or infinity; check the model or the features that produced it"
    case .notOrthogonal(let dev):
      return
        "Index: the rotation must be orthogonal (R R^T = I), but an entry of R R^T - I is \(dev); pass the rotation OPQ learned, or none"
    case .emptyIndex(let op):
      return "\(op): the index holds no items; call add(codes:) first"
    case .invalidLabels(let reason):
      return "labels: \(reason)"
    case .countMismatch(let op, let name, let expected, let got):
      return "\(op): \(name) has \(got) entries, expected \(expected)"
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    }
  }
}

/// Formats a shape the way NumPy prints it: `[2, 3]`.
func format(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
