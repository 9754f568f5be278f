import DPQTensor

/// Search: lookup-table scoring of every item, top-k selection, all code lengths in one pass.
extension Index {
  /// The `k` best items for each query `[nq, D]` using the first `blocks` codes (all by default).
  ///
  /// Runs on `threads` cores (all by default), each with its own scratch. `shouldStop` is polled
  /// between chunks of queries (from worker threads, one call at a time); when it returns true
  /// the search ends early and returns a partial result (`isComplete == false`). A `k` above the
  /// database size returns every item.
  public func search(
    queries: Tensor, k: Int, blocks: Int? = nil, threads: Int? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> SearchResult {
    let b = try checkedBlocks(blocks, op: "search")
    return try rank(queries: queries, blocksList: [b], k: k, threads: threads, shouldStop: shouldStop, op: "search")[0]
  }

  /// Rankings for several code lengths at once: one pass over the codes accumulates the partial
  /// sums of every prefix, and each prefix gets its own top-k. Returns one result per entry of
  /// `blocksList`, in that order. `k: nil` ranks the whole database (exact stable sort; this keeps
  /// nq x n ids per code length in memory; `evaluate` computes metrics without doing so).
  public func rank(
    queries: Tensor, blocksList: [Int], k: Int? = nil, threads: Int? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> [SearchResult] {
    try rank(queries: queries, blocksList: blocksList, k: k, threads: threads, shouldStop: shouldStop, op: "rank")
  }

  /// Scores `[nq, n]` of every item for every query with the first `blocks` codes, in database
  /// order: the matrix a custom metric can start from.
  public func scores(queries: Tensor, blocks: Int? = nil, threads: Int? = nil) throws -> Tensor {
    let op = "scores"
    let b = try checkedBlocks(blocks, op: op)
    guard count > 0 else { throw RetrievalError.emptyIndex(op: op) }
    let q = try checkedQueries(queries, op: op)
    let nq = q.shape[0]
    let n = count
    let metric = self.metric
    var out = try Tensor.zeros([nq, n])
    out.withUnsafeMutableBufferPointer { o in
      let base = o.baseAddress!
      _ = rankingPass(
        queries: q, prefixes: [b], output: .unsorted, threads: Index.resolvedThreads(threads),
        shouldStop: nil
      ) { _, query, _, list in
        let row = base + query * n
        for i in 0..<n { row[i] = score(fromGoodness: list.goodness[i], metric: metric) }
      }
    }
    return out
  }

  private func rank(
    queries: Tensor, blocksList: [Int], k: Int?, threads: Int?, shouldStop: (@Sendable () -> Bool)?,
    op: String
  ) throws -> [SearchResult] {
    guard !blocksList.isEmpty else {
      throw RetrievalError.invalidArgument(
        op: op, reason: "blocksList is empty; pass code lengths in blocks, e.g. [1, 2, 3, 4]")
    }
    for b in blocksList { _ = try checkedBlocks(b, op: op) }
    if let k, k <= 0 { throw RetrievalError.invalidCutoff(op: op, name: "k", value: k, reason: "k must be at least 1") }
    guard count > 0 else { throw RetrievalError.emptyIndex(op: op) }
    let q = try checkedQueries(queries, op: op)
    let nq = q.shape[0]
    let n = count
    let metric = self.metric
    let depth = min(k ?? n, n)
    let prefixes = Array(Set(blocksList)).sorted()

    // Raw buffers: every worker writes only its own queries' rows.
    let idBuffers = (0..<prefixes.count).map { _ in
      UnsafeMutableBufferPointer<Int>.allocate(capacity: max(nq * depth, 1))
    }
    let scoreBuffers = (0..<prefixes.count).map { _ in
      UnsafeMutableBufferPointer<Float>.allocate(capacity: max(nq * depth, 1))
    }
    defer {
      for b in idBuffers { b.deallocate() }
      for b in scoreBuffers { b.deallocate() }
    }
    for b in idBuffers { b.initialize(repeating: -1) }
    for b in scoreBuffers { b.initialize(repeating: .nan) }
    let completed = rankingPass(
      queries: q, prefixes: prefixes, output: .ranked(depth: depth, needsScores: true),
      threads: Index.resolvedThreads(threads), shouldStop: shouldStop
    ) { _, query, p, list in
      let idRow = idBuffers[p].baseAddress! + query * depth
      let scoreRow = scoreBuffers[p].baseAddress! + query * depth
      for j in 0..<list.ids.count {
        idRow[j] = Int(list.ids[j])
        scoreRow[j] = score(fromGoodness: list.goodness[j], metric: metric)
      }
    }
    let ids = idBuffers.map { Array($0.prefix(nq * depth)) }
    let scores = scoreBuffers.map { Array($0.prefix(nq * depth)) }
    return blocksList.map { b in
      let p = prefixes.firstIndex(of: b)!
      return SearchResult(
        metric: metric, blocks: b, k: depth, queryCount: nq, completedQueries: completed,
        ids: ids[p], scores: scores[p])
    }
  }
}
