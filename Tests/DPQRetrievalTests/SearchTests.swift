import DPQTensor
import Testing

@testable import DPQRetrieval

@Suite struct SearchTests {
  static let cases: [(Fixture.Layout, IndexMetric)] = Fixture.Layout.allCases.flatMap { l in
    IndexMetric.allCases.map { (l, $0) }
  }

  /// LUT scores equal the scores of decoded vectors, for every layout, metric and prefix length.
  @Test(arguments: cases)
  func lookupTableScoresEqualBruteForce(layout: Fixture.Layout, metric: IndexMetric) throws {
    let index = try Fixture.index(layout: layout, metric: metric)
    let queries = try Fixture.queries(5, dimension: 12)
    for blocks in 1...4 {
      let lut = try index.scores(queries: queries, blocks: blocks)
      let brute = try BruteForce.scores(index: index, queries: queries, blocks: blocks)
      #expect(lut.shape == [5, 300])
      var worst = 0.0
      for q in 0..<5 { for i in 0..<300 { worst = max(worst, abs(Double(try lut.value(at: [q, i])) - brute[q][i])) } }
      #expect(worst < 1e-3, "\(layout) \(metric) blocks=\(blocks): max |lut - brute| = \(worst)")
      // Brute-force top-k equals the index's top-k (random data: no near-ties, exact ties by id).
      let fast = try index.search(queries: queries, k: 20, blocks: blocks)
      let slow = try BruteForce.search(index: index, queries: queries, k: 20, blocks: blocks)
      #expect(fast.ids == slow.ids, "\(layout) \(metric) blocks=\(blocks)")
    }
  }

  /// The one-pass ranking of every prefix equals separate searches, bit for bit.
  @Test(arguments: cases)
  func onePassEqualsSeparatePasses(layout: Fixture.Layout, metric: IndexMetric) throws {
    let index = try Fixture.index(layout: layout, metric: metric)
    let queries = try Fixture.queries(7, dimension: 12)
    for k in [10, 300] { // heap path and full-sort path
      let all = try index.rank(queries: queries, blocksList: [4, 1, 3, 2], k: k)
      #expect(all.map(\.blocks) == [4, 1, 3, 2])
      for result in all {
        let single = try index.search(queries: queries, k: k, blocks: result.blocks)
        #expect(result.ids == single.ids)
        #expect(result.scores == single.scores)
      }
    }
  }

  /// Top-k is the first k of a full sort of the same scores, ties by position; heap and sort agree.
  @Test(arguments: cases)
  func topKEqualsFullSortWithTiesByPosition(layout: Fixture.Layout, metric: IndexMetric) throws {
    let index = try Fixture.index(layout: layout, metric: metric)
    let queries = try Fixture.queries(6, dimension: 12)
    for blocks in [1, 4] {
      let matrix = try index.scores(queries: queries, blocks: blocks).scalars
      let full = try index.search(queries: queries, k: 1000, blocks: blocks) // k > n: everything, sort path
      #expect(full.k == 300)
      for k in [1, 5, 40, 74, 75, 299] {
        let top = try index.search(queries: queries, k: k, blocks: blocks)
        for q in 0..<6 {
          let row = Array(matrix[(q * 300)..<((q + 1) * 300)])
          let expected = Fixture.fullSort(row, metric: metric)
          #expect(try top.ids(query: q) == Array(expected.prefix(k)), "k=\(k) q=\(q)")
          #expect(try top.scores(query: q) == expected.prefix(k).map { row[$0] })
          #expect(try full.ids(query: q) == expected)
        }
      }
      // The duplicated codes really tie, and the earlier id comes first.
      let ranking = try full.ids(query: 0)
      let scores = try full.scores(query: 0)
      let tiedWithZero = ranking.indices.filter { scores[$0] == scores[ranking.firstIndex(of: 0)!] }.map { ranking[$0] }
      #expect(tiedWithZero.count >= 5)
      #expect(tiedWithZero == tiedWithZero.sorted())
    }
  }

  /// Databases over several tiles searched by blocks of eight queries (the SIMD scan over full
  /// heaps, and the per-query scan of the first tile and of a partial block) give the first k of a
  /// full sort of the scores matrix, ties by position, on one thread and on two.
  @Test(arguments: cases)
  func blockedScanEqualsFullSortOverSeveralTiles(layout: Fixture.Layout, metric: IndexMetric) throws {
    let n = 2 * ScanWorker.tileSize + 555
    let index = try Fixture.index(layout: layout, metric: metric, n: n, codewords: 256, dimension: 64)
    let queries = try Fixture.queries(2 * ScanWorker.queryBlock + 3, dimension: 64)
    for blocks in [4, 2] { // the 32-bit SIMD scan, and running sums into heaps
      let matrix = try index.scores(queries: queries, blocks: blocks).scalars
      for k in [1, 100] {
        for threads in [1, 2] {
          let top = try index.search(queries: queries, k: k, blocks: blocks, threads: threads)
          for q in 0..<queries.shape[0] {
            let row = Array(matrix[(q * n)..<((q + 1) * n)])
            let expected = Array(Fixture.fullSort(row, metric: metric).prefix(k))
            #expect(try top.ids(query: q) == expected, "blocks=\(blocks) k=\(k) threads=\(threads) q=\(q)")
            #expect(try top.scores(query: q) == expected.map { row[$0] })
          }
        }
      }
    }
  }

  @Test func uint16CodesForMoreThan256Codewords() throws {
    let index = try Fixture.index(
      layout: .additive, metric: .squaredL2, n: 200, blocks: 2, codewords: 300, dimension: 8)
    guard case .uint16 = index.codes.storage else {
      Issue.record("expected 2-byte codes")
      return
    }
    let queries = try Fixture.queries(4, dimension: 8)
    let brute = try BruteForce.scores(index: index, queries: queries)
    let lut = try index.scores(queries: queries).scalars
    for q in 0..<4 { for i in 0..<200 { #expect(abs(Double(lut[q * 200 + i]) - brute[q][i]) < 1e-3) } }
    let fast = try index.search(queries: queries, k: 10)
    #expect(fast.ids == (try BruteForce.search(index: index, queries: queries, k: 10)).ids)
    let pair = try index.rank(queries: queries, blocksList: [1, 2], k: 10)
    #expect(pair[1].ids == fast.ids)
  }

  @Test func threadCountDoesNotChangeResults() throws {
    let index = try Fixture.index(layout: .additive, metric: .squaredL2, n: 2000)
    let queries = try Fixture.queries(50, dimension: 12)
    let one = try index.search(queries: queries, k: 30, threads: 1)
    let two = try index.search(queries: queries, k: 30, threads: 2)
    #expect(one.ids == two.ids && one.scores == two.scores)
  }

  @Test func stoppedSearchIsMarkedPartial() throws {
    let index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 500)
    let queries = try Fixture.queries(400, dimension: 12)
    let stop = StopAfter(3)
    let result = try index.search(
      queries: queries, k: 5, threads: 1,
      shouldStop: { stop.poll() })
    #expect(!result.isComplete)
    #expect(result.completedQueries > 0 && result.completedQueries < 400)
    let complete = try index.search(queries: queries, k: 5)
    let done = result.completedQueries * 5
    #expect(Array(result.ids[..<done]) == Array(complete.ids[..<done]))
    #expect(result.ids[done...].allSatisfy { $0 == -1 })
    #expect(result.description.contains("PARTIAL"))
    #expect(throws: RetrievalError.itemOutOfRange(op: "SearchResult", item: 400, count: 400)) {
      try result.ids(query: 400)
    }
    let none = try index.search(queries: queries, k: 5, shouldStop: { true })
    #expect(none.completedQueries == 0)
  }

  @Test func badSearchArgumentsThrowClearly() throws {
    let index = try Fixture.index(layout: .product, metric: .innerProduct)
    let queries = try Fixture.queries(2, dimension: 12)
    #expect(throws: RetrievalError.invalidCutoff(op: "search", name: "k", value: 0, reason: "k must be at least 1")) {
      try index.search(queries: queries, k: 0)
    }
    #expect(throws: RetrievalError.dimensionMismatch(op: "search", expected: 12, got: 10)) {
      try index.search(queries: try Fixture.queries(2, dimension: 10), k: 3)
    }
    #expect(throws: RetrievalError.blocksOutOfRange(op: "search", blocks: 0, blockCount: 4)) {
      try index.search(queries: queries, k: 3, blocks: 0)
    }
    #expect(throws: RetrievalError.blocksOutOfRange(op: "rank", blocks: 5, blockCount: 4)) {
      try index.rank(queries: queries, blocksList: [1, 5])
    }
    var nanQueries = queries
    try nanQueries.setValue(.infinity, at: [1, 1])
    #expect(throws: RetrievalError.nonFinite(op: "search", name: "queries")) {
      try index.search(queries: nanQueries, k: 3)
    }
    var empty = index
    try empty.reset()
    #expect(throws: RetrievalError.emptyIndex(op: "search")) { try empty.search(queries: queries, k: 3) }
  }

  @Test func heapAndRadixPrimitivesHonourTheTieRule() throws {
    // Goodness with ties and both zeros: -0 and +0 are equal and must tie by id.
    let values: [Float] = [3, -0.0, 5, 3, 0, -1, 5, 3, -0.0, 2]
    var heap = TopKHeap(capacity: 6)
    defer { heap.deallocate() }
    values.withUnsafeBufferPointer { heap.offer($0.baseAddress!, count: values.count, firstId: 0) }
    heap.sortBestFirst()
    #expect((0..<6).map { Int(heap.ids[$0]) } == [2, 6, 0, 3, 7, 9])
    let sorter = RankSorter(capacity: values.count)
    let ids = values.withUnsafeBufferPointer { v in
      let sorted = sorter.sort(goodness: v.baseAddress!, count: values.count)
      return (0..<values.count).map { Int(sorted[$0]) }
    }
    #expect(ids == [2, 6, 0, 3, 7, 9, 1, 4, 8, 5])
  }

  /// The bucketed full sort equals a comparison sort on awkward distributions: few distinct
  /// values (8-bit codes), one far outlier (everything else in one bucket), all equal, random.
  @Test func rankSorterMatchesComparisonSort() throws {
    var rng = RandomGenerator(seed: 17)
    let n = 5000
    let distributions: [[Float]] = [
      (0..<n).map { _ in Float(rng.nextInt(below: 7)) * 0.25 },
      (0..<n).map { i in i == 1234 ? 1e30 : rng.nextNormal() },
      [Float](repeating: -2.5, count: n),
      (0..<n).map { _ in rng.nextNormal() * 1e-30 },
      (0..<n).map { _ in Float(rng.nextInt(below: 3)) - 1 },
    ]
    let sorter = RankSorter(capacity: n)
    for values in distributions {
      let ids = values.withUnsafeBufferPointer { v in
        let sorted = sorter.sort(goodness: v.baseAddress!, count: n)
        return (0..<n).map { Int(sorted[$0]) }
      }
      #expect(ids == Fixture.fullSort(values, metric: .innerProduct))
    }
  }
}
