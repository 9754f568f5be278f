import DPQTensor

/// The reference the index is tested against: decode every item with `Index.reconstruct`, score
/// each query against each decoded vector with plain loops in Double, and sort with the tie rule.
/// Slow (n x D work per query) and simple on purpose.
public enum BruteForce {
  /// Scores `[nq][n]` of every decoded item: inner products, or squared L2 distances.
  public static func scores(index: Index, queries: Tensor, blocks: Int? = nil) throws -> [[Double]] {
    let q = try index.checkedQueries(queries, op: "BruteForce.scores")
    let decoded = try index.reconstruct(items: Array(0..<index.count), blocks: blocks)
    let nq = q.shape[0]
    let n = index.count
    let d = index.dimension
    let qs = q.scalars
    let xs = decoded.scalars
    var out = [[Double]](repeating: [Double](repeating: 0, count: n), count: nq)
    for a in 0..<nq {
      for i in 0..<n {
        var s = 0.0
        for j in 0..<d {
          let qv = Double(qs[a * d + j])
          let xv = Double(xs[i * d + j])
          s += index.metric == .innerProduct ? qv * xv : (qv - xv) * (qv - xv)
        }
        out[a][i] = s
      }
    }
    return out
  }

  /// The full ranking of ids `0..<n` for one row of scores, by the tie rule.
  public static func ranking(scores: [Double], metric: IndexMetric) -> [Int] {
    Array(0..<scores.count).sorted { a, b in
      if scores[a] != scores[b] { return metric.largerIsBetter ? scores[a] > scores[b] : scores[a] < scores[b] }
      return a < b
    }
  }

  /// The top `k` of every query by the brute-force scores.
  public static func search(index: Index, queries: Tensor, k: Int, blocks: Int? = nil) throws -> SearchResult {
    guard k > 0 else {
      throw RetrievalError.invalidCutoff(op: "BruteForce.search", name: "k", value: k, reason: "k must be at least 1")
    }
    let all = try scores(index: index, queries: queries, blocks: blocks)
    let depth = min(k, index.count)
    var ids: [Int] = []
    var values: [Float] = []
    for row in all {
      let order = ranking(scores: row, metric: index.metric).prefix(depth)
      ids += order
      values += order.map { Float(row[$0]) }
    }
    return SearchResult(
      metric: index.metric, blocks: blocks ?? index.blockCount, k: depth, queryCount: all.count,
      completedQueries: all.count, ids: ids, scores: values)
  }
}
