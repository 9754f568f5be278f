import DPQTensor

/// Evaluation of every code length in one pass over the codes, with the metrics computed per
/// query inside the search workers: no nq x n ranking is ever stored.
extension Index {
  /// mAP@R, P@N, R@N and precision-recall curves of `queries` against the database, for each
  /// code length in `blocksList` (all 1...M by default).
  ///
  /// - `relevance`: query labels (one row per query) and database labels (one row per item).
  /// - `mapAt`: R of mAP@R; nil ranks the whole database (mAP@all, an exact stable sort per query).
  /// - `precisionAt`: the N of the P@N and R@N columns.
  /// - `curveCutoffs`: rank cutoffs of the precision-recall curve; by default 1, 2, 5, 10, 20, ...
  ///   and tenths of the ranked depth.
  /// - The ranked depth is the largest of R, the P@N cutoffs and the curve cutoffs (at most n);
  ///   recall denominators count every relevant item in the database, and the interpolated curve
  ///   covers the ranked depth (levels never reached within it get precision 0).
  /// - `shouldStop`: polled between chunks of queries; a stopped evaluation averages over the
  ///   completed queries and says so (`isComplete == false`).
  public func evaluate(
    queries: Tensor, relevance: Relevance, blocksList: [Int]? = nil, mapAt R: Int? = nil,
    precisionAt: [Int] = [100, 1000], curveCutoffs: [Int]? = nil, method: String = "",
    threads: Int? = nil, shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> Evaluation {
    let op = "evaluate"
    let blocksList = blocksList ?? Array(1...blockCount)
    guard !blocksList.isEmpty else {
      throw RetrievalError.invalidArgument(
        op: op, reason: "blocksList is empty; pass code lengths in blocks, e.g. [1, 2, 3, 4]")
    }
    for b in blocksList { _ = try checkedBlocks(b, op: op) }
    guard count > 0 else { throw RetrievalError.emptyIndex(op: op) }
    let q = try checkedQueries(queries, op: op)
    let nq = q.shape[0]
    let n = count
    guard relevance.queries.count == nq else {
      throw RetrievalError.countMismatch(op: op, name: "query labels", expected: nq, got: relevance.queries.count)
    }
    guard relevance.database.count == n else {
      throw RetrievalError.countMismatch(op: op, name: "database labels", expected: n, got: relevance.database.count)
    }
    let apDepth = try Metrics.checkedDepth(R, op: op)
    let pCuts = try Metrics.checkedCutoffs(precisionAt, op: op)
    var depth = min(n, max(R ?? n, pCuts.last ?? 1, (curveCutoffs ?? []).max() ?? 1))
    let curveCuts = try Metrics.checkedCutoffs(curveCutoffs ?? Index.defaultCurveCutoffs(depth: depth), op: op)
    depth = min(n, max(depth, curveCuts.last ?? 1))
    // One merged cutoff list serves both the P@N columns and the curve.
    let cuts = Array(Set(pCuts + curveCuts)).sorted()
    let prefixes = Array(Set(blocksList)).sorted()
    let pc = prefixes.count
    let cc = cuts.count
    let levels = recallLevelCount
    // Per-query hit counts are kept (means in query order are reproducible); bound their memory.
    guard pc * nq * cc <= Index.maxEvaluationCells else {
      throw RetrievalError.invalidArgument(
        op: op,
        reason:
          "\(cc) rank cutoffs x \(nq) queries x \(pc) code lengths is too many to keep; pass at most \(Index.maxEvaluationCells / max(pc * nq, 1)) cutoffs (precisionAt plus curveCutoffs)"
      )
    }

    let ap = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(pc * nq, 1))
    let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(pc * nq * cc, 1))
    let interpolated = UnsafeMutableBufferPointer<Double>.allocate(capacity: max(pc * nq * levels, 1))
    let totals = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(nq, 1))
    defer {
      ap.deallocate()
      hits.deallocate()
      interpolated.deallocate()
      totals.deallocate()
    }

    let qWords = relevance.queries.wordsPerItem
    let dWords = relevance.database.wordsPerItem
    let shared = relevance.sharedWords
    let oneWord = shared == 1 && qWords == 1 && dWords == 1
    let completed = relevance.queries.masks.withUnsafeBufferPointer { qMasks in
      relevance.database.masks.withUnsafeBufferPointer { dMasks in
        cuts.withUnsafeBufferPointer { cutPointer in
          rankingPass(
            queries: q, prefixes: prefixes, output: .ranked(depth: depth, needsScores: false),
            threads: Index.resolvedThreads(threads), shouldStop: shouldStop
          ) { _, query, p, list in
            let slot = p * nq + query
            let hitRow = UnsafeMutableBufferPointer(rebasing: hits[(slot * cc)..<((slot + 1) * cc)])
            let interpRow = interpolated.baseAddress! + slot * levels
            let queryMask = qMasks.baseAddress! + query * qWords
            if p == 0 {
              totals[query] = countRelevant(
                queryMask: queryMask, queryWords: qWords, databaseMasks: dMasks.baseAddress!,
                wordsPerItem: dWords, sharedWords: shared, count: n)
            }
            if oneWord {
              ap[slot] = summarizeRanking(
                ids: list.ids, queryMask: queryMask[0], databaseMasks: dMasks.baseAddress!,
                apDepth: apDepth, totalRelevant: totals[query], sortedCutoffs: cutPointer,
                hits: hitRow, interpolated: interpRow)
            } else {
              ap[slot] = summarizeRanking(
                ids: list.ids, queryMask: queryMask, databaseMasks: dMasks.baseAddress!,
                wordsPerItem: dWords, sharedWords: shared,
                apDepth: apDepth, totalRelevant: totals[query], sortedCutoffs: cutPointer,
                hits: hitRow, interpolated: interpRow)
            }
          }
        }
      }
    }

    // Means over the completed queries.
    let done = completed
    let denominator = Double(max(done, 1))
    let codeLengths: [Evaluation.CodeLength] = blocksList.map { b in
      let p = prefixes.firstIndex(of: b)!
      var meanHits = [Double](repeating: 0, count: cc)
      var meanRecall = [Double](repeating: 0, count: cc)
      var meanInterp = [Double](repeating: 0, count: levels)
      var aps: [Double] = []
      aps.reserveCapacity(done)
      for query in 0..<done {
        let slot = p * nq + query
        aps.append(ap[slot])
        let t = totals[query]
        for c in 0..<cc {
          let h = Double(hits[slot * cc + c])
          meanHits[c] += h
          if t > 0 { meanRecall[c] += h / Double(t) }
        }
        for l in 0..<levels { meanInterp[l] += interpolated[slot * levels + l] }
      }
      let precision = cuts.indices.map { meanHits[$0] / Double(cuts[$0]) / denominator }
      let recall = meanRecall.map { $0 / denominator }
      let column = { (n: Int) in cuts.firstIndex(of: n)! }
      return Evaluation.CodeLength(
        blocks: b, bits: Double(b) * bitsPerBlock,
        meanAveragePrecision: aps.reduce(0, +) / denominator,
        precisionAt: precisionAt.map { precision[column($0)] },
        recallAt: precisionAt.map { recall[column($0)] },
        precisionRecall: PrecisionRecallCurve(
          cutoffs: curveCuts, precision: curveCuts.map { precision[column($0)] },
          recall: curveCuts.map { recall[column($0)] }),
        interpolatedPrecisionRecall: PrecisionRecallCurve(interpolatedPrecision: meanInterp.map { $0 / denominator }),
        averagePrecisions: aps)
    }
    var evaluation = Evaluation(
      method: method, mapDepth: R, precisionCutoffs: precisionAt, curveCutoffs: curveCuts,
      codeLengths: codeLengths, queryCount: nq, completedQueries: done, databaseCount: n)
    evaluation.score = metric == .innerProduct ? "inner product" : "squared L2"
    return evaluation
  }

  /// Most per-query hit counts `evaluate` keeps (code lengths x queries x cutoffs).
  public static let maxEvaluationCells = 64 << 20

  /// 1, 2, 5, 10, 20, 50, ... below `depth`, then every tenth of `depth`.
  static func defaultCurveCutoffs(depth: Int) -> [Int] {
    var cuts: Set<Int> = []
    var decade = 1
    outer: while true {
      for m in [1, 2, 5] {
        let v = m * decade
        if v >= depth { break outer }
        cuts.insert(v)
      }
      decade *= 10
    }
    for i in 1...10 { cuts.insert(max(1, depth * i / 10)) }
    return cuts.sorted()
  }
}
