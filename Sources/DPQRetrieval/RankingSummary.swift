/// One walk down a ranked list that yields everything the metrics need: AP@R, the hits within
/// each rank cutoff, and the 11-point interpolated precision. The public `Metrics` functions and
/// the parallel `Index.evaluate` share this code, so the hand-checked metrics are the ones used
/// at scale.

/// The 11 standard recall levels 0, 0.1, ..., 1 as tenths (integer arithmetic avoids
/// `0.3 * 10 = 3.0000000000000004` moving a threshold).
let recallLevelCount = 11

/// Walks `length` ranked entries.
/// - `apDepth`: R of AP@R (entries beyond it do not count towards AP).
/// - `sortedCutoffs`: ascending rank cutoffs N >= 1; `hits[c]` receives the relevant entries in
///   the first `sortedCutoffs[c]` (all of them when the list is shorter).
/// - `interpolated`: if non-nil, receives 11 values: the largest precision at any rank whose
///   recall reaches i/10 (0 where the list never reaches it). Needs `totalRelevant`.
/// - Returns AP@R = (1 / #relevant in top R) * sum_{r<=R} P@r * rel_r, or 0 with none.
@inline(__always)
private func summarizeRanking(
  length: Int, apDepth: Int, totalRelevant: Int,
  sortedCutoffs: UnsafeBufferPointer<Int>, hits hitsOut: UnsafeMutableBufferPointer<Int>,
  interpolated: UnsafeMutablePointer<Double>?,
  isRelevant: (Int) -> Bool
) -> Double {
  var hits = 0
  var hitsInDepth = 0
  var apSum = 0.0
  var c = 0
  let cutoffCount = sortedCutoffs.count
  let interpolate = interpolated != nil && totalRelevant > 0
  return withUnsafeTemporaryAllocation(of: Int.self, capacity: recallLevelCount + 1) { t in
    withUnsafeTemporaryAllocation(of: Double.self, capacity: recallLevelCount) { segmentMax in
      // Hit number h reaches recall level i/10 iff h >= t[i] = ceil(i * T / 10) (at least 1);
      // segmentMax[i] is the best precision among hits whose highest reached level is i.
      for i in 0..<recallLevelCount { t[i] = max(1, (i * totalRelevant + 9) / 10) }
      t[recallLevelCount] = Int.max
      segmentMax.initialize(repeating: 0)
      var segment = 0
      for r in 0..<length {
        if isRelevant(r) {
          hits += 1
          let precision = Double(hits) / Double(r + 1)
          if r < apDepth {
            apSum += precision
            hitsInDepth += 1
          }
          if interpolate {
            while hits >= t[segment + 1] { segment += 1 }
            if precision > segmentMax[segment] { segmentMax[segment] = precision }
          }
        }
        while c < cutoffCount && sortedCutoffs[c] == r + 1 {
          hitsOut[c] = hits
          c += 1
        }
      }
      while c < cutoffCount {
        hitsOut[c] = hits
        c += 1
      }
      if let out = interpolated {
        // Level i takes the best precision among hits at or beyond its threshold.
        var best = 0.0
        for i in stride(from: recallLevelCount - 1, through: 0, by: -1) {
          best = max(best, segmentMax[i])
          out[i] = best
        }
      }
      return hitsInDepth > 0 ? apSum / Double(hitsInDepth) : 0
    }
  }
}

// Concrete entry points: the walk is specialised here, in its own file, for each way of telling
// relevance, so the per-entry test is inlined even without whole-module optimisation.

/// `summarizeRanking` over explicit relevance flags.
func summarizeRanking(
  relevant: UnsafeBufferPointer<Bool>, apDepth: Int, totalRelevant: Int,
  sortedCutoffs: UnsafeBufferPointer<Int>, hits: UnsafeMutableBufferPointer<Int>,
  interpolated: UnsafeMutablePointer<Double>?
) -> Double {
  summarizeRanking(
    length: relevant.count, apDepth: apDepth, totalRelevant: totalRelevant, sortedCutoffs: sortedCutoffs,
    hits: hits, interpolated: interpolated
  ) { relevant[$0] }
}

/// `summarizeRanking` over ranked ids with one-word label masks (up to 64 labels).
func summarizeRanking(
  ids: UnsafeBufferPointer<UInt32>, queryMask: UInt64, databaseMasks: UnsafePointer<UInt64>,
  apDepth: Int, totalRelevant: Int, sortedCutoffs: UnsafeBufferPointer<Int>,
  hits: UnsafeMutableBufferPointer<Int>, interpolated: UnsafeMutablePointer<Double>?
) -> Double {
  summarizeRanking(
    length: ids.count, apDepth: apDepth, totalRelevant: totalRelevant, sortedCutoffs: sortedCutoffs,
    hits: hits, interpolated: interpolated
  ) { databaseMasks[Int(ids[$0])] & queryMask != 0 }
}

/// `summarizeRanking` over ranked ids with multi-word label masks.
func summarizeRanking(
  ids: UnsafeBufferPointer<UInt32>, queryMask: UnsafePointer<UInt64>, databaseMasks: UnsafePointer<UInt64>,
  wordsPerItem: Int, sharedWords: Int,
  apDepth: Int, totalRelevant: Int, sortedCutoffs: UnsafeBufferPointer<Int>,
  hits: UnsafeMutableBufferPointer<Int>, interpolated: UnsafeMutablePointer<Double>?
) -> Double {
  summarizeRanking(
    length: ids.count, apDepth: apDepth, totalRelevant: totalRelevant, sortedCutoffs: sortedCutoffs,
    hits: hits, interpolated: interpolated
  ) {
    sharesLabel(queryMask, databaseMasks + Int(ids[$0]) * wordsPerItem, sharedWords)
  }
}

/// Database items sharing a label with the query (the denominator of recall).
func countRelevant(
  queryMask: UnsafePointer<UInt64>, queryWords: Int, databaseMasks: UnsafePointer<UInt64>,
  wordsPerItem: Int, sharedWords: Int, count n: Int
) -> Int {
  var total = 0
  if queryWords == 1 && wordsPerItem == 1 {
    let mask = queryMask[0]
    for i in 0..<n where databaseMasks[i] & mask != 0 { total += 1 }
  } else {
    for i in 0..<n where sharesLabel(queryMask, databaseMasks + i * wordsPerItem, sharedWords) { total += 1 }
  }
  return total
}

@inline(__always)
private func sharesLabel(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, _ words: Int) -> Bool {
  for w in 0..<words where a[w] & b[w] != 0 { return true }
  return false
}
