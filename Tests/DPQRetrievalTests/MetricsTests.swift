import DPQTensor
import Testing

@testable import DPQRetrieval

@Suite struct MetricsTests {
  func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

  @Test func averagePrecisionOnHandWorkedRankings() throws {
    // 1,0,1,0,0: hits at ranks 1 and 3 -> AP = (1/1 + 2/3) / 2 = 5/6
    #expect(close(try Metrics.averagePrecision(relevant: [true, false, true, false, false]), 5.0 / 6))
    // 0,1,1,0,1: AP = (1/2 + 2/3 + 3/5) / 3 = 53/90
    #expect(close(try Metrics.averagePrecision(relevant: [false, true, true, false, true]), 53.0 / 90))
    // R < all: AP@2 of 0,1,1,0,1 counts only rank 2: (1/2) / 1 = 1/2
    #expect(close(try Metrics.averagePrecision(relevant: [false, true, true, false, true], at: 2), 0.5))
    // AP@4 of 1,0,0,0,1: only the first hit is in the top 4: (1/1) / 1 = 1
    #expect(close(try Metrics.averagePrecision(relevant: [true, false, false, false, true], at: 4), 1))
    // no relevant item: AP = 0 (and AP@1 of 0,1 is 0 too)
    #expect(try Metrics.averagePrecision(relevant: [false, false, false]) == 0)
    #expect(try Metrics.averagePrecision(relevant: [false, true], at: 1) == 0)
    #expect(try Metrics.averagePrecision(relevant: []) == 0)
    #expect(throws: RetrievalError.self) { try Metrics.averagePrecision(relevant: [true], at: 0) }
  }

  @Test func precisionAndRecallAtN() throws {
    let rel = [true, false, true, false, false]
    // P@3 = 2/3, P@1 = 1, P@10 = 2/10 (missing entries count as not relevant)
    #expect(close(try Metrics.precisionAt(3, relevant: rel), 2.0 / 3))
    #expect(close(try Metrics.precisionAt(1, relevant: rel), 1))
    #expect(close(try Metrics.precisionAt(10, relevant: rel), 0.2))
    // 4 relevant items in the database: R@3 = 2/4, R@1 = 1/4; none: 0
    #expect(close(try Metrics.recallAt(3, relevant: rel, totalRelevant: 4), 0.5))
    #expect(close(try Metrics.recallAt(1, relevant: rel, totalRelevant: 4), 0.25))
    #expect(try Metrics.recallAt(3, relevant: [false, false], totalRelevant: 0) == 0)
    #expect(throws: RetrievalError.self) { try Metrics.recallAt(3, relevant: rel, totalRelevant: 1) }
    #expect(
      throws: RetrievalError.invalidCutoff(op: "precisionAt", name: "N", value: 0, reason: "N must be at least 1")
    ) {
      try Metrics.precisionAt(0, relevant: rel)
    }
  }

  @Test func precisionRecallCurves() throws {
    let rel = [true, false, true, false, false]
    // every rank cut, 4 relevant in the database:
    // N:         1     2     3     4     5
    // precision: 1/1   1/2   2/3   2/4   2/5
    // recall:    1/4   1/4   2/4   2/4   2/4
    let curve = try Metrics.precisionRecallCurve(relevant: rel, totalRelevant: 4)
    #expect(curve.cutoffs == [1, 2, 3, 4, 5])
    #expect(zip(curve.precision, [1, 0.5, 2.0 / 3, 0.5, 0.4]).allSatisfy { close($0, $1) })
    #expect(curve.recall == [0.25, 0.25, 0.5, 0.5, 0.5])
    let grid = try Metrics.precisionRecallCurve(relevant: rel, totalRelevant: 4, cutoffs: [5, 1])
    #expect(grid.cutoffs == [1, 5] && grid.precision == [1, 0.4] && grid.recall == [0.25, 0.5])
    // 11-point interpolation: hits at (recall 0.25, precision 1) and (0.5, 2/3).
    // Levels 0, 0.1, 0.2 -> 1; 0.3, 0.4, 0.5 -> 2/3; 0.6 ... 1 never reached -> 0.
    let interpolated = try Metrics.interpolatedPrecisionRecallCurve(relevant: rel, totalRelevant: 4)
    #expect(interpolated.isInterpolated)
    #expect(interpolated.recall == Metrics.recallLevels)
    let expected = [1, 1, 1, 2.0 / 3, 2.0 / 3, 2.0 / 3, 0, 0, 0, 0, 0]
    #expect(zip(interpolated.precision, expected).allSatisfy { close($0, $1) })
    // One relevant item, found at rank 2: every level up to 1 gets precision 1/2.
    let single = try Metrics.interpolatedPrecisionRecallCurve(relevant: [false, true, false], totalRelevant: 1)
    #expect(single.precision == [Double](repeating: 0.5, count: 11))
    // Precision rising later beats earlier lower values: 0,1,1 with 2 relevant:
    // hits (0.5, 1/2), (1.0, 2/3) -> every level takes 2/3.
    let rising = try Metrics.interpolatedPrecisionRecallCurve(relevant: [false, true, true], totalRelevant: 2)
    #expect(rising.precision.allSatisfy { close($0, 2.0 / 3) })
  }

  @Test func singleAndMultiLabelRelevance() throws {
    // Query labels {1, 3}; database {0}, {3}, {2, 1}, {}, {4}, {1, 70} (a second mask word).
    let queries = try LabelSets(labelLists: [[1, 3], [0]])
    let database = try LabelSets(labelLists: [[0], [3], [2, 1], [], [4], [1, 70]])
    let relevance = Relevance(queries: queries, database: database)
    #expect(try relevance.relevance(query: 0, ranking: [0, 1, 2, 3, 4, 5]) == [false, true, true, false, false, true])
    #expect(try relevance.relevantCount(query: 0) == 3)
    #expect(try relevance.relevantCount(query: 1) == 1)
    #expect(throws: RetrievalError.itemOutOfRange(op: "Relevance", item: 2, count: 2)) {
      try relevance.isRelevant(query: 2, item: 0)
    }
    #expect(try database.labels(of: 5) == [1, 70])
    // Multi-hot rows give the same sets.
    let hot = try LabelSets(multiHot: Tensor(shape: [2, 5], scalars: [0, 1, 0, 1, 0, 1, 0, 0, 0, 0]))
    #expect(try hot.labels(of: 0) == [1, 3] && hot.labels(of: 1) == [0] && hot.labelCount == 5)
    // Single labels: relevant iff equal.
    let single = Relevance(queries: try LabelSets(labels: [2]), database: try LabelSets(labels: [2, 0, 2, 1]))
    #expect(try single.relevance(query: 0, ranking: [3, 2, 1, 0]) == [false, true, false, true])
    #expect(throws: RetrievalError.self) { try LabelSets(labels: [1, -1]) }
    #expect(throws: RetrievalError.self) { try LabelSets(multiHot: Tensor(shape: [1, 2], scalars: [0.5, 1])) }
  }

  @Test func meanAveragePrecisionOverRankings() throws {
    // Query 0 (label 0) ranking [1, 0, 2]: relevance 0,1,1 -> AP = (1/2 + 2/3) / 2 = 7/12
    // Query 1 (label 1) ranking [1, 2, 0]: relevance 1,0,0 -> AP = 1
    let relevance = Relevance(queries: try LabelSets(labels: [0, 1]), database: try LabelSets(labels: [0, 1, 0]))
    let map = try Metrics.meanAveragePrecision(rankings: [[1, 0, 2], [1, 2, 0]], relevance: relevance)
    #expect(close(map, (7.0 / 12 + 1) / 2))
    // mAP@1: query 0 has no hit in the top 1 -> 0; query 1 -> 1
    #expect(
      close(try Metrics.meanAveragePrecision(rankings: [[1, 0, 2], [1, 2, 0]], relevance: relevance, at: 1), 0.5))
    #expect(throws: RetrievalError.countMismatch(op: "meanAveragePrecision", name: "rankings", expected: 2, got: 1)) {
      try Metrics.meanAveragePrecision(rankings: [[0]], relevance: relevance)
    }
    #expect(throws: RetrievalError.itemOutOfRange(op: "Relevance", item: 7, count: 3)) {
      try Metrics.meanAveragePrecision(rankings: [[7], [0]], relevance: relevance)
    }
  }

  @Test func classificationAccuracy() throws {
    #expect(close(try Metrics.accuracy(predicted: [1, 2, 3, 4], labels: [1, 0, 3, 0]), 0.5))
    #expect(throws: RetrievalError.self) { try Metrics.accuracy(predicted: [1], labels: [1, 2]) }
    #expect(throws: RetrievalError.self) { try Metrics.accuracy(predicted: [], labels: []) }
  }
}
