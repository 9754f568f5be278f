import DPQTensor

/// Exhaustive search on unquantized vectors: the ceiling any quantizer of these features can reach.
/// Scores come from one sgemm per chunk of queries; rankings use the tie rule (database position).
public enum ExactSearch {
  /// mAP@R of ranking `database` [n, D] for every query [nq, D] by the real-valued metric.
  public static func meanAveragePrecision(
    queries: Tensor, database: Tensor, relevance: Relevance,
    metric: IndexMetric, at R: Int? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> Double {
    let op = "ExactSearch.meanAveragePrecision"
    guard queries.rank == 2, database.rank == 2, queries.shape[1] == database.shape[1] else {
      throw RetrievalError.invalidArgument(
        op: op, reason: "queries \(queries.shape) and database \(database.shape) must be [nq, D] and [n, D]")
    }
    let nq = queries.shape[0]
    let n = database.shape[0]
    guard relevance.queries.count == nq, relevance.database.count == n else {
      throw RetrievalError.invalidArgument(
        op: op,
        reason:
          "relevance covers \(relevance.queries.count) queries and \(relevance.database.count) items, the data \(nq) and \(n)"
      )
    }
    guard nq > 0 else { throw RetrievalError.invalidArgument(op: op, reason: "no queries to average over") }
    // For L2, rank by 2<q, x> - ||x||^2 (||q||^2 is the same for every item of a query).
    let norms: [Float]
    if metric == .squaredL2 {
      norms = try (database * database).sum(axes: [1]).scalars
    } else {
      norms = [Float](repeating: 0, count: n)
    }
    let chunk = 64
    var total = 0.0
    var done = 0
    var order = [Int](repeating: 0, count: n)
    var s = [Float](repeating: 0, count: n)
    for start in stride(from: 0, to: nq, by: chunk) {
      if let stop = shouldStop, stop() { break }
      let rows = Array(start..<min(nq, start + chunk))
      let scores = try Tensor.matmul(queries.indexSelect(axis: 0, indices: rows), database, transposeB: true).scalars
      for (r, q) in rows.enumerated() {
        let base = r * n
        for i in 0..<n { s[i] = metric == .squaredL2 ? 2 * scores[base + i] - norms[i] : scores[base + i] }
        for i in 0..<n { order[i] = i }
        order.sort { a, b in s[a] != s[b] ? s[a] > s[b] : a < b }
        total += try Metrics.averagePrecision(relevant: relevance.relevance(query: q, ranking: order), at: R)
        done += 1
      }
    }
    guard done > 0 else { throw RetrievalError.invalidArgument(op: op, reason: "stopped before the first query") }
    return total / Double(done)
  }
}
