/// Retrieval quality of one index at several code lengths: mAP@R, P@N, R@N and precision-recall
/// curves, averaged over the queries. Printing it gives an aligned table.
public struct Evaluation: CustomStringConvertible {
  /// The metrics of one code length (the first `blocks` blocks of every code).
  public struct CodeLength {
    public let blocks: Int
    /// Code length in bits: blocks * log2(K) (8 per block when K = 256).
    public let bits: Double
    /// mAP@R over the completed queries.
    public let meanAveragePrecision: Double
    /// Mean P@N, aligned with `Evaluation.precisionCutoffs`.
    public let precisionAt: [Double]
    /// Mean R@N, aligned with `Evaluation.precisionCutoffs` (a query with no relevant item counts 0).
    public let recallAt: [Double]
    /// Mean precision and mean recall at the rank cutoffs of `Evaluation.curveCutoffs`.
    public let precisionRecall: PrecisionRecallCurve
    /// Mean 11-point interpolated precision at recall 0, 0.1, ..., 1.
    public let interpolatedPrecisionRecall: PrecisionRecallCurve
    /// AP@R of each completed query, in query order.
    public let averagePrecisions: [Double]
  }

  /// A name for the row label of comparison tables ("DPQ", "PQ", ...).
  public var method: String
  /// R of mAP@R; nil means the whole database (mAP@all).
  public let mapDepth: Int?
  /// The N of the P@N and R@N columns.
  public let precisionCutoffs: [Int]
  /// Rank cutoffs of the precision-recall curves.
  public let curveCutoffs: [Int]
  /// One entry per evaluated code length, in the order asked.
  public let codeLengths: [CodeLength]
  /// Queries asked.
  public let queryCount: Int
  /// Queries `0 ..< completedQueries` were evaluated (fewer when stopped early).
  public let completedQueries: Int
  /// Database size.
  public let databaseCount: Int
  /// How the database was ranked ("inner product", "squared L2"; nil when not known). Tables
  /// never mix scores in one block: `table` gives each score its own.
  public var score: String? = nil

  public init(
    method: String, mapDepth: Int?, precisionCutoffs: [Int], curveCutoffs: [Int], codeLengths: [CodeLength],
    queryCount: Int, completedQueries: Int, databaseCount: Int
  ) {
    self.method = method
    self.mapDepth = mapDepth
    self.precisionCutoffs = precisionCutoffs
    self.curveCutoffs = curveCutoffs
    self.codeLengths = codeLengths
    self.queryCount = queryCount
    self.completedQueries = completedQueries
    self.databaseCount = databaseCount
  }

  /// Whether every query was evaluated.
  public var isComplete: Bool { completedQueries == queryCount }

  /// The metrics of the code length with `blocks` blocks.
  public func codeLength(blocks: Int) -> CodeLength? { codeLengths.first { $0.blocks == blocks } }

  /// mAP for each code length, in order.
  public var meanAveragePrecisions: [Double] { codeLengths.map(\.meanAveragePrecision) }

  /// Column title of the mAP column: "mAP@all" or "mAP@5000".
  public var mapTitle: String { "mAP@" + (mapDepth.map(String.init) ?? "all") }

  public var description: String { Evaluation.table([self]) }

  /// One aligned table comparing several evaluations (methods) row by row: method, bits,
  /// mAP@R, P@N columns. Columns come from the first evaluation.
  public static func table(_ evaluations: [Evaluation]) -> String {
    // One block per score, in order of first appearance, so rows ranked differently never share
    // a table (like for like).
    var scores: [String?] = []
    for e in evaluations where !scores.contains(where: { $0 == e.score }) { scores.append(e.score) }
    if scores.count > 1 {
      return scores.map { s in
        "score: \(s ?? "not recorded")\n" + singleTable(evaluations.filter { $0.score == s })
      }.joined(separator: "\n\n")
    }
    return singleTable(evaluations)
  }

  /// The table of evaluations that share one score.
  static func singleTable(_ evaluations: [Evaluation]) -> String {
    guard let first = evaluations.first else { return "(no evaluations)" }
    let showMethod = evaluations.contains { !$0.method.isEmpty }
    var header = (showMethod ? ["method"] : []) + ["bits", first.mapTitle]
    header += first.precisionCutoffs.map { "P@\($0)" }
    var rows: [[String]] = []
    for e in evaluations {
      for c in e.codeLengths {
        var row = showMethod ? [e.method] : []
        row.append(c.bits == c.bits.rounded() ? String(Int(c.bits)) : fixed(c.bits, 1))
        row.append(fixed(c.meanAveragePrecision, 4))
        row += first.precisionCutoffs.map { n in
          e.precisionCutoffs.firstIndex(of: n).map { fixed(c.precisionAt[$0], 4) } ?? "-"
        }
        rows.append(row)
      }
    }
    let widths = header.indices.map { col in max(header[col].count, rows.map { $0[col].count }.max() ?? 0) }
    func line(_ cells: [String]) -> String {
      cells.indices.map { col in
        col == 0 && showMethod
          ? cells[col] + String(repeating: " ", count: widths[col] - cells[col].count)
          : pad(cells[col], widths[col])
      }.joined(separator: "  ")
    }
    var out = [line(header)] + rows.map(line)
    let score = first.score.map { "ranked by \($0); " } ?? ""
    out.append(
      "\(first.completedQueries) queries, \(first.databaseCount) database items; \(score)ties: \(SearchResult.tieRule)")
    for e in evaluations where !e.isComplete {
      out.append(
        "PARTIAL\(e.method.isEmpty ? "" : " (\(e.method))"): stopped after \(e.completedQueries) of \(e.queryCount) queries"
      )
    }
    return out.joined(separator: "\n")
  }
}
