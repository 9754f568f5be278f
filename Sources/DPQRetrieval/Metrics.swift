/// Retrieval and classification metrics on explicit rankings (PAPER.md, Evaluation).
///
/// A ranking is described by the relevance of its entries, best first (`relevant[r]` is rel_{r+1});
/// `Relevance.relevance(query:ranking:)` turns ids into that form. For the whole database at once,
/// `Index.evaluate` computes the same numbers inside the search workers.
public enum Metrics {
  /// The recall levels of the interpolated curve: 0, 0.1, ..., 1 (TREC 11-point).
  public static let recallLevels: [Double] = (0..<recallLevelCount).map { Double($0) / 10 }

  /// AP@R = (1 / #relevant in top R) * sum_{r <= R} P@r * rel_r, and 0 when the top R holds no
  /// relevant entry. `R: nil` means the whole list (AP@all).
  public static func averagePrecision(relevant: [Bool], at R: Int? = nil) throws -> Double {
    let depth = try checkedDepth(R, op: "averagePrecision")
    return summary(relevant, apDepth: depth, totalRelevant: 0, cutoffs: []).averagePrecision
  }

  /// mAP@R: the mean of AP@R over the queries, given each query's ranked database ids.
  public static func meanAveragePrecision(rankings: [[Int]], relevance: Relevance, at R: Int? = nil) throws -> Double {
    let op = "meanAveragePrecision"
    let depth = try checkedDepth(R, op: op)
    guard rankings.count == relevance.queries.count else {
      throw RetrievalError.countMismatch(
        op: op, name: "rankings", expected: relevance.queries.count, got: rankings.count)
    }
    guard !rankings.isEmpty else { throw RetrievalError.invalidArgument(op: op, reason: "no queries to average over") }
    var total = 0.0
    for (q, ranking) in rankings.enumerated() {
      total +=
        summary(try relevance.relevance(query: q, ranking: ranking), apDepth: depth, totalRelevant: 0, cutoffs: [])
        .averagePrecision
    }
    return total / Double(rankings.count)
  }

  /// mAP@R of the completed queries of a search result.
  public static func meanAveragePrecision(result: SearchResult, relevance: Relevance, at R: Int? = nil) throws -> Double
  {
    let rankings = try (0..<result.completedQueries).map { try result.ids(query: $0) }
    let subset = Relevance(
      queries: try relevance.queries.items(Array(0..<result.completedQueries)), database: relevance.database)
    return try meanAveragePrecision(rankings: rankings, relevance: subset, at: R)
  }

  /// P@N: relevant entries among the first N, divided by N (a list shorter than N counts its
  /// missing entries as not relevant).
  public static func precisionAt(_ n: Int, relevant: [Bool]) throws -> Double {
    guard n >= 1 else {
      throw RetrievalError.invalidCutoff(op: "precisionAt", name: "N", value: n, reason: "N must be at least 1")
    }
    return Double(relevant.prefix(n).filter { $0 }.count) / Double(n)
  }

  /// R@N: relevant entries among the first N, divided by the relevant items in the whole
  /// database (`totalRelevant`); 0 when there are none.
  public static func recallAt(_ n: Int, relevant: [Bool], totalRelevant: Int) throws -> Double {
    let op = "recallAt"
    guard n >= 1 else {
      throw RetrievalError.invalidCutoff(op: op, name: "N", value: n, reason: "N must be at least 1")
    }
    try checkTotal(relevant, totalRelevant, op: op)
    return totalRelevant == 0 ? 0 : Double(relevant.prefix(n).filter { $0 }.count) / Double(totalRelevant)
  }

  /// Precision and recall at every rank cut N = 1 ... relevant.count.
  public static func precisionRecallCurve(relevant: [Bool], totalRelevant: Int) throws -> PrecisionRecallCurve {
    try precisionRecallCurve(
      relevant: relevant, totalRelevant: totalRelevant, cutoffs: Array(1...max(1, relevant.count)))
  }

  /// Precision and recall at the given rank cuts N (any order, each >= 1).
  public static func precisionRecallCurve(relevant: [Bool], totalRelevant: Int, cutoffs: [Int]) throws
    -> PrecisionRecallCurve
  {
    let op = "precisionRecallCurve"
    try checkTotal(relevant, totalRelevant, op: op)
    let cuts = try checkedCutoffs(cutoffs, op: op)
    let s = summary(relevant, apDepth: 0, totalRelevant: totalRelevant, cutoffs: cuts)
    return PrecisionRecallCurve(
      cutoffs: cuts,
      precision: zip(cuts, s.hits).map { Double($1) / Double($0) },
      recall: s.hits.map { totalRelevant == 0 ? 0 : Double($0) / Double(totalRelevant) })
  }

  /// Interpolated precision at recall 0, 0.1, ..., 1: at each level, the largest precision at any
  /// rank whose recall reaches it (0 if the list never does).
  public static func interpolatedPrecisionRecallCurve(relevant: [Bool], totalRelevant: Int) throws
    -> PrecisionRecallCurve
  {
    try checkTotal(relevant, totalRelevant, op: "interpolatedPrecisionRecallCurve")
    return PrecisionRecallCurve(
      interpolatedPrecision: summary(relevant, apDepth: 0, totalRelevant: totalRelevant, cutoffs: [], interpolate: true)
        .interpolated)
  }

  /// Fraction of predictions equal to the labels.
  public static func accuracy(predicted: [Int], labels: [Int]) throws -> Double {
    let op = "accuracy"
    guard predicted.count == labels.count else {
      throw RetrievalError.countMismatch(op: op, name: "predicted", expected: labels.count, got: predicted.count)
    }
    guard !labels.isEmpty else { throw RetrievalError.invalidArgument(op: op, reason: "no predictions to score") }
    return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
  }

  // MARK: internals

  struct Summary {
    var averagePrecision: Double
    var hits: [Int]
    var interpolated: [Double]
  }

  /// `summarizeRanking` over a Bool list; `cutoffs` must be sorted.
  static func summary(_ relevant: [Bool], apDepth: Int, totalRelevant: Int, cutoffs: [Int], interpolate: Bool = false)
    -> Summary
  {
    var hits = [Int](repeating: 0, count: cutoffs.count)
    var interpolated = [Double](repeating: 0, count: interpolate ? recallLevelCount : 0)
    let ap = relevant.withUnsafeBufferPointer { rel in
      cutoffs.withUnsafeBufferPointer { cuts in
        hits.withUnsafeMutableBufferPointer { h in
          interpolated.withUnsafeMutableBufferPointer { i in
            summarizeRanking(
              relevant: rel, apDepth: apDepth, totalRelevant: totalRelevant, sortedCutoffs: cuts,
              hits: h, interpolated: interpolate ? i.baseAddress : nil)
          }
        }
      }
    }
    return Summary(averagePrecision: ap, hits: hits, interpolated: interpolated)
  }

  /// R as a depth (nil = all), refusing R < 1.
  static func checkedDepth(_ r: Int?, op: String) throws -> Int {
    guard let r else { return Int.max }
    guard r >= 1 else {
      throw RetrievalError.invalidCutoff(
        op: op, name: "R", value: r, reason: "R must be at least 1, or nil for the whole ranking")
    }
    return r
  }

  /// Cutoffs sorted ascending, refusing N < 1.
  static func checkedCutoffs(_ cutoffs: [Int], op: String) throws -> [Int] {
    for n in cutoffs where n < 1 {
      throw RetrievalError.invalidCutoff(op: op, name: "N", value: n, reason: "rank cutoffs must be at least 1")
    }
    return cutoffs.sorted()
  }

  private static func checkTotal(_ relevant: [Bool], _ total: Int, op: String) throws {
    let found = relevant.filter { $0 }.count
    guard total >= found else {
      throw RetrievalError.invalidArgument(
        op: op, reason: "totalRelevant is \(total) but the ranking already holds \(found) relevant entries")
    }
  }
}

/// Precision against recall, either at rank cutoffs (`cutoffs` non-empty, aligned) or
/// interpolated at the 11 standard recall levels (`cutoffs` empty, `recall` = 0, 0.1, ..., 1).
public struct PrecisionRecallCurve: Equatable, CustomStringConvertible {
  /// Rank cutoffs N of each point; empty for an interpolated curve.
  public let cutoffs: [Int]
  public let precision: [Double]
  public let recall: [Double]

  /// A curve at rank cutoffs.
  public init(cutoffs: [Int], precision: [Double], recall: [Double]) {
    self.cutoffs = cutoffs
    self.precision = precision
    self.recall = recall
  }

  /// An 11-point interpolated curve.
  public init(interpolatedPrecision: [Double]) {
    cutoffs = []
    precision = interpolatedPrecision
    recall = Metrics.recallLevels
  }

  /// Whether the points are interpolated at standard recall levels.
  public var isInterpolated: Bool { cutoffs.isEmpty }

  public var description: String {
    let head = isInterpolated ? "recall level  precision" : "       N  precision  recall"
    let rows = precision.indices.map { i in
      isInterpolated
        ? pad(fixed(recall[i], 1), 12) + "  " + fixed(precision[i], 4)
        : pad(String(cutoffs[i]), 8) + "  " + pad(fixed(precision[i], 4), 9) + "  " + fixed(recall[i], 4)
    }
    return ([head] + rows).joined(separator: "\n")
  }
}

/// `value` with `digits` decimals (no Foundation formatting, so output is locale-independent).
func fixed(_ value: Double, _ digits: Int) -> String {
  guard value.isFinite else { return String(value) }
  var scale = 1.0
  for _ in 0..<digits { scale *= 10 }
  let scaled = (abs(value) * scale).rounded()
  let whole = Int(scaled / scale)
  let frac = Int(scaled - Double(whole) * scale)
  let sign = value < 0 && scaled != 0 ? "-" : ""
  guard digits > 0 else { return sign + String(whole) }
  let fracText = String(frac)
  return sign + String(whole) + "." + String(repeating: "0", count: digits - fracText.count) + fracText
}

/// Right-aligns `text` in `width` columns.
func pad(_ text: String, _ width: Int) -> String {
  text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
