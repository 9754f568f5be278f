import DPQTensor

/// The k best items for each query (faiss's `I` and `D` arrays), best first.
///
/// Scores are inner products (larger is better) or squared L2 distances (smaller is better);
/// equal scores rank by database position, smaller id first (`tieRule`). A search stopped by
/// its `shouldStop` callback is partial: queries `0 ..< completedQueries` are filled, the others
/// hold id -1 and score NaN, and `isComplete` is false.
public struct SearchResult: CustomStringConvertible, Sendable {
  /// The ranking rule every dpq search and metric applies.
  public static let tieRule = "better score first; equal scores by database position (smaller id first)"

  /// How the scores were computed.
  public let metric: IndexMetric
  /// Code length used, in blocks.
  public let blocks: Int
  /// Results per query (min of the requested k and the database size).
  public let k: Int
  /// Number of queries asked.
  public let queryCount: Int
  /// Queries `0 ..< completedQueries` were searched.
  public let completedQueries: Int
  /// Item ids, row-major `[queryCount, k]`.
  public let ids: [Int]
  /// Scores, row-major `[queryCount, k]`, aligned with `ids`.
  public let scores: [Float]

  public init(
    metric: IndexMetric, blocks: Int, k: Int, queryCount: Int, completedQueries: Int, ids: [Int], scores: [Float]
  ) {
    self.metric = metric
    self.blocks = blocks
    self.k = k
    self.queryCount = queryCount
    self.completedQueries = completedQueries
    self.ids = ids
    self.scores = scores
  }

  /// Whether every query was searched.
  public var isComplete: Bool { completedQueries == queryCount }

  /// The ranked ids of one query.
  public func ids(query: Int) throws -> [Int] {
    try checkQuery(query)
    return Array(ids[(query * k)..<((query + 1) * k)])
  }

  /// The scores of one query, aligned with `ids(query:)`.
  public func scores(query: Int) throws -> [Float] {
    try checkQuery(query)
    return Array(scores[(query * k)..<((query + 1) * k)])
  }

  private func checkQuery(_ query: Int) throws {
    guard query >= 0 && query < queryCount else {
      throw RetrievalError.itemOutOfRange(op: "SearchResult", item: query, count: queryCount)
    }
  }

  /// Scores as a `[queryCount, k]` tensor.
  public var scoresTensor: Tensor {
    scores.withUnsafeBufferPointer { s in Tensor(shape: [queryCount, k]) { out in _ = out.initialize(from: s) } }
  }

  public var description: String {
    let what = metric == .innerProduct ? "inner product, larger is better" : "squared L2, smaller is better"
    var lines = [
      "SearchResult: \(queryCount) queries, top \(k), \(blocks) block\(blocks == 1 ? "" : "s") (\(what))",
      "ties: \(SearchResult.tieRule)",
    ]
    if !isComplete {
      lines.append("PARTIAL: stopped after \(completedQueries) of \(queryCount) queries; the rest hold id -1")
    }
    let shownQueries = min(completedQueries, 3)
    let shown = min(k, 5)
    for q in 0..<shownQueries {
      let row = (0..<shown).map { "\(ids[q * k + $0]) (\(scores[q * k + $0]))" }.joined(separator: ", ")
      lines.append("  query \(q): \(row)\(k > shown ? ", ..." : "")")
    }
    if completedQueries > shownQueries { lines.append("  ... \(completedQueries - shownQueries) more queries") }
    return lines.joined(separator: "\n")
  }
}
