import DPQTensor
import Testing

@testable import DPQRetrieval

@Suite struct EvaluateTests {
  func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-12 }

  @Test(arguments: IndexMetric.allCases)
  func tiesDecideAveragePrecisionByDatabasePosition(metric: IndexMetric) throws {
    // One block, K = 2, D = 1: c_0 = (1), c_1 = (0); query q = (1).
    // Codes [1, 0, 0, 1, 0]: items 1, 2, 4 score <q, 1> = 1 (distance 0), items 0, 3 score 0 (distance 1).
    // Ranking with ties by position: 1, 2, 4, 0, 3.
    // Labels [0, 1, 1, 0, 0], query label 0 -> relevant items 0, 3, 4; along the ranking 0,0,1,1,1.
    // AP = (1/3 + 2/4 + 3/5) / 3 = 43/90 (reversed ties 4,2,1,3,0 would give 1,0,0,1,1 -> 0.7).
    var index = try Index(layout: .additive(codebooks: Tensor(shape: [1, 2, 1], scalars: [1, 0])), metric: metric)
    try index.add(codes: Codes(count: 5, blockCount: 1, codewordCount: 2, values: [1, 0, 0, 1, 0]))
    let relevance = Relevance(queries: try LabelSets(labels: [0]), database: try LabelSets(labels: [0, 1, 1, 0, 0]))
    let query = try Tensor(shape: [1, 1], scalars: [1])
    #expect(try index.search(queries: query, k: 5).ids == [1, 2, 4, 0, 3])
    let result = try index.evaluate(queries: query, relevance: relevance, precisionAt: [2, 3])
    let c = try #require(result.codeLength(blocks: 1))
    #expect(close(c.meanAveragePrecision, 43.0 / 90))
    #expect(c.bits == 1)
    // P@2 = 0/2, P@3 = 1/3; R@3 = 1/3 of the 3 relevant items
    #expect(c.precisionAt == [0, 1.0 / 3] && c.recallAt == [0, 1.0 / 3])
    // mAP@4: hits at 3 and 4 -> (1/3 + 2/4) / 2 = 5/12
    let at4 = try index.evaluate(queries: query, relevance: relevance, mapAt: 4, precisionAt: [])
    #expect(close(at4.codeLengths[0].meanAveragePrecision, 5.0 / 12))
    #expect(at4.description.contains("mAP@4"))
  }

  /// The in-worker metrics equal the public metrics applied to explicit full rankings.
  @Test(arguments: [false, true])
  func evaluationMatchesMetricsOnFullRankings(multiLabel: Bool) throws {
    let index = try Fixture.index(layout: .rotatedProduct, metric: .squaredL2, n: 400, blocks: 4, codewords: 8)
    let nq = 9
    let queries = try Fixture.queries(nq, dimension: 12)
    var rng = RandomGenerator(seed: 21)
    let relevance: Relevance
    if multiLabel {
      // Up to 3 labels among 80 (two mask words), some items with none.
      let lists = { (n: Int) in (0..<n).map { _ in (0..<rng.nextInt(below: 4)).map { _ in rng.nextInt(below: 80) } } }
      relevance = Relevance(
        queries: try LabelSets(labelLists: lists(nq)), database: try LabelSets(labelLists: lists(400)))
    } else {
      relevance = Relevance(
        queries: try LabelSets(labels: (0..<nq).map { _ in rng.nextInt(below: 4) }),
        database: try LabelSets(labels: (0..<400).map { _ in rng.nextInt(below: 4) }))
    }
    let full = try index.rank(queries: queries, blocksList: [1, 2, 3, 4])
    // Ranked depth 400 = n: relevant-rank counting; 50: top-k heap; 150: full sort then walk.
    for (r, cuts) in [
      (nil, [1, 10, 100, 400]), (50, [1, 10, 100, 400]), (50, [1, 10, 50]), (150, [1, 10, 100, 150]),
    ] as [(Int?, [Int])] {
      let e = try index.evaluate(
        queries: queries, relevance: relevance, mapAt: r, precisionAt: [10, cuts[2]], curveCutoffs: cuts)
      #expect(e.isComplete && e.codeLengths.map(\.blocks) == [1, 2, 3, 4])
      for (c, ranking) in zip(e.codeLengths, full) {
        var aps: [Double] = []
        var p10 = 0.0
        var r100 = 0.0
        var curveP = [Double](repeating: 0, count: cuts.count)
        var interp = [Double](repeating: 0, count: 11)
        for q in 0..<nq {
          let rel = try relevance.relevance(query: q, ranking: try ranking.ids(query: q))
          let total = try relevance.relevantCount(query: q)
          aps.append(try Metrics.averagePrecision(relevant: rel, at: r))
          p10 += try Metrics.precisionAt(10, relevant: rel) / Double(nq)
          r100 += try Metrics.recallAt(cuts[2], relevant: rel, totalRelevant: total) / Double(nq)
          let curve = try Metrics.precisionRecallCurve(relevant: rel, totalRelevant: total, cutoffs: cuts)
          for i in cuts.indices { curveP[i] += curve.precision[i] / Double(nq) }
          // The interpolated curve covers the ranked depth (the whole database for mAP@all).
          let depth = max(r ?? 400, cuts.max()!)
          let ip = try Metrics.interpolatedPrecisionRecallCurve(
            relevant: Array(rel.prefix(depth)), totalRelevant: total)
          for i in 0..<11 { interp[i] += ip.precision[i] / Double(nq) }
        }
        #expect(
          zip(c.averagePrecisions, aps).allSatisfy { close($0, $1) }, "blocks \(c.blocks) R \(String(describing: r))")
        #expect(close(c.meanAveragePrecision, aps.reduce(0, +) / Double(nq)))
        #expect(abs(c.precisionAt[0] - p10) < 1e-12 && abs(c.recallAt[1] - r100) < 1e-12)
        #expect(zip(c.precisionRecall.precision, curveP).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(
          zip(c.interpolatedPrecisionRecall.precision, interp).allSatisfy { abs($0 - $1) < 1e-12 },
          "\(String(describing: r)) \(cuts)")
      }
    }
  }

  @Test func tableListsCodeLengthsAndMethods() throws {
    let index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 300, codewords: 256)
    let relevance = Relevance(
      queries: try LabelSets(labels: [0, 1, 2]), database: try LabelSets(labels: (0..<300).map { $0 % 3 }))
    var e = try index.evaluate(
      queries: try Fixture.queries(3, dimension: 12), relevance: relevance, blocksList: [1, 4], precisionAt: [100])
    #expect(e.codeLengths.map(\.bits) == [8, 32])
    let text = e.description
    #expect(text.contains("bits") && text.contains("mAP@all") && text.contains("P@100") && text.contains("ties:"))
    #expect(text.split(separator: "\n").count == 4)
    e.method = "DPQ"
    var other = e
    other.method = "PQ"
    let table = Evaluation.table([e, other])
    #expect(table.contains("DPQ") && table.contains("PQ "))
    #expect(
      Index.defaultCurveCutoffs(depth: 1000) == [
        1, 2, 5, 10, 20, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000,
      ])
  }

  @Test func stoppedEvaluationAveragesCompletedQueries() throws {
    let index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 300)
    let nq = 200
    let relevance = Relevance(
      queries: try LabelSets(labels: (0..<nq).map { $0 % 3 }), database: try LabelSets(labels: (0..<300).map { $0 % 3 })
    )
    let stop = StopAfter(2)
    let e = try index.evaluate(
      queries: try Fixture.queries(nq, dimension: 12), relevance: relevance, threads: 1,
      shouldStop: { stop.poll() })
    #expect(!e.isComplete && e.completedQueries > 0 && e.completedQueries < nq)
    #expect(e.codeLengths[0].averagePrecisions.count == e.completedQueries)
    #expect(e.description.contains("PARTIAL"))
  }

  @Test func badEvaluationInputThrowsClearly() throws {
    let index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 300)
    let queries = try Fixture.queries(2, dimension: 12)
    let wrongDatabase = Relevance(queries: try LabelSets(labels: [0, 1]), database: try LabelSets(labels: [0, 1]))
    #expect(throws: RetrievalError.countMismatch(op: "evaluate", name: "database labels", expected: 300, got: 2)) {
      try index.evaluate(queries: queries, relevance: wrongDatabase)
    }
    let relevance = Relevance(
      queries: try LabelSets(labels: [0, 1]), database: try LabelSets(labels: Array(repeating: 0, count: 300)))
    #expect(
      throws: RetrievalError.invalidCutoff(
        op: "evaluate", name: "R", value: 0, reason: "R must be at least 1, or nil for the whole ranking")
    ) {
      try index.evaluate(queries: queries, relevance: relevance, mapAt: 0)
    }
    #expect(throws: RetrievalError.blocksOutOfRange(op: "evaluate", blocks: 9, blockCount: 4)) {
      try index.evaluate(queries: queries, relevance: relevance, blocksList: [9])
    }
  }
}
