/// Ranks of the relevant items in a full ranking, without sorting the database.
///
/// mAP@all, P@N, R@N and the precision-recall curves depend on a full ranking only through the
/// positions of the relevant items. A relevant item's position is the number of items ranked
/// before it (better goodness, or equal goodness and smaller id), and that count needs no sorted
/// list: bucket every item by a monotone linear function of its goodness, count the items per
/// bucket, sort only the relevant items (about n / classes of them), and compare each
/// non-relevant item with the relevant items of its own bucket (a binary search over a few
/// entries). Two sequential passes over n floats replace a sort of n packed values, which on a
/// 69,000-item database is several times slower because it does not fit the cache.
final class RelevantRanks {
  let capacity: Int
  private let bucketStart: UnsafeMutablePointer<Int32>
  private let relevantFirst: UnsafeMutablePointer<Int32>
  private let relevantPacked: UnsafeMutablePointer<UInt64>
  private let relevantScratch: UnsafeMutablePointer<UInt64>
  private let relevantBucket: UnsafeMutablePointer<Int32>
  private let precedingInBucket: UnsafeMutablePointer<Int32>
  private let histogram: UnsafeMutablePointer<Int>
  /// 1-based positions of the relevant items, best first (valid until the next call).
  let ranks: UnsafeMutablePointer<Int>
  /// The relevance of every database item for the current query, one bit per item.
  let relevantBits: UnsafeMutablePointer<UInt64>
  let wordCount: Int
  static let maxBuckets = 1 << 16

  init(capacity n: Int) {
    capacity = n
    let buckets = RelevantRanks.bucketCount(n)
    bucketStart = .allocate(capacity: buckets + 1)
    relevantFirst = .allocate(capacity: buckets + 1)
    relevantPacked = .allocate(capacity: max(n, 1))
    relevantScratch = .allocate(capacity: max(n, 1))
    relevantBucket = .allocate(capacity: max(n, 1))
    precedingInBucket = .allocate(capacity: max(n, 1) + 1)
    histogram = .allocate(capacity: 256 * 4)
    ranks = .allocate(capacity: max(n, 1))
    wordCount = (n + 63) / 64
    relevantBits = .allocate(capacity: max(wordCount, 1))
  }

  deinit {
    bucketStart.deallocate(); relevantFirst.deallocate(); relevantPacked.deallocate(); relevantScratch.deallocate()
    relevantBucket.deallocate(); precedingInBucket.deallocate(); histogram.deallocate(); ranks.deallocate()
    relevantBits.deallocate()
  }

  static func bucketCount(_ n: Int) -> Int { max(1, min(maxBuckets, n / 4)) }

  /// Fills `relevantBits` from one-word label masks; returns the number of relevant items.
  func setRelevance(queryMask: UInt64, databaseMasks: UnsafePointer<UInt64>, count n: Int) -> Int {
    relevantBits.initialize(repeating: 0, count: max(wordCount, 1))
    var total = 0
    for w in 0..<wordCount {
      var word: UInt64 = 0
      let base = w * 64
      for t in 0..<min(64, n - base) where databaseMasks[base + t] & queryMask != 0 { word |= 1 << UInt64(t) }
      relevantBits[w] = word
      total += word.nonzeroBitCount
    }
    return total
  }

  /// Fills `relevantBits` from any predicate; returns the number of relevant items.
  func setRelevance(count n: Int, isRelevant: (Int) -> Bool) -> Int {
    relevantBits.initialize(repeating: 0, count: max(wordCount, 1))
    var total = 0
    for i in 0..<n where isRelevant(i) { relevantBits[i / 64] |= 1 << UInt64(i % 64); total += 1 }
    return total
  }

  /// Computes `ranks[0..<m]` for goodness `g[0..<n]` (larger is better) and the relevance set by
  /// `setRelevance`; `m` is the number of relevant items. Ties rank by smaller id.
  func computeRanks(goodness g: UnsafePointer<Float>, count n: Int, relevantCount m: Int) {
    precondition(n <= capacity)
    guard m > 0 else { return }
    var lo = g[0], hi = g[0]
    for i in 1..<n { let v = g[i]; lo = min(lo, v); hi = max(hi, v) }
    let buckets = RelevantRanks.bucketCount(n), last = buckets - 1
    let range = Double(hi) - Double(lo)
    let scale = range > 0 && range.isFinite ? Double(last) / range : 0
    let top = Double(hi)
    // Monotone: a better item never gets a later bucket. -0 and +0 share a bucket.
    @inline(__always) func bucket(_ v: Float) -> Int { min(last, Int((top - Double(v)) * scale)) }

    // Items per bucket, then bucketStart[b] = items in buckets before b.
    let start = bucketStart
    start.initialize(repeating: 0, count: buckets + 1)
    for i in 0..<n { start[bucket(g[i]) + 1] += 1 }
    for b in 0..<buckets { start[b + 1] += start[b] }

    // The relevant items as packed `key << 32 | id`, in id order, then sorted: ranking order.
    var r = 0
    for w in 0..<wordCount {
      var word = relevantBits[w]
      while word != 0 {
        let i = w * 64 + word.trailingZeroBitCount
        relevantPacked[r] = UInt64(descendingKey(g[i])) << 32 | UInt64(truncatingIfNeeded: i)
        r += 1
        word &= word - 1
      }
    }
    precondition(r == m, "relevantCount does not match the relevance bits")
    let rel = radixSortByKey(relevantPacked, scratch: relevantScratch, count: m)

    // relevantFirst[b]: index of the first relevant item in bucket b or later.
    var j = 0
    for b in 0..<buckets {
      relevantFirst[b] = Int32(j)
      while j < m {
        let rb = bucket(goodness(fromKey: UInt32(truncatingIfNeeded: rel[j] >> 32)))
        if rb != b { break }
        relevantBucket[j] = Int32(rb)
        j += 1
      }
    }
    relevantFirst[buckets] = Int32(m)

    // Each non-relevant item that shares a bucket with relevant items precedes those whose packed
    // value exceeds its own: mark the first of them.
    precedingInBucket.initialize(repeating: 0, count: m + 1)
    for w in 0..<wordCount {
      let word = relevantBits[w], base = w * 64
      for t in 0..<min(64, n - base) where word & (1 << UInt64(t)) == 0 {
        let i = base + t
        let v = g[i]
        let b = bucket(v)
        let end = Int(relevantFirst[b + 1])
        var lo = Int(relevantFirst[b]), hi = end
        if lo == hi { continue }
        let p = UInt64(descendingKey(v)) << 32 | UInt64(truncatingIfNeeded: i)
        while lo < hi {
          let mid = (lo + hi) >> 1
          if rel[mid] > p { hi = mid } else { lo = mid + 1 }
        }
        if lo < end { precedingInBucket[lo] += 1 }
      }
    }

    // Position = items in earlier buckets + relevant items before it in its bucket + the
    // non-relevant items of its bucket that precede it; ranks are 1-based.
    var running = 0
    for j in 0..<m {
      let b = Int(relevantBucket[j])
      if j == 0 || relevantBucket[j - 1] != relevantBucket[j] { running = 0 }
      running += Int(precedingInBucket[j])
      ranks[j] = Int(start[b]) + (j - Int(relevantFirst[b])) + running + 1
    }
  }

  /// Stable LSD radix sort of packed values by their upper 32 bits, 8 bits per pass (the input
  /// is in id order, so equal keys stay in id order). Returns the buffer holding the result.
  private func radixSortByKey(_ values: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                              count n: Int) -> UnsafePointer<UInt64> {
    let h = histogram
    h.initialize(repeating: 0, count: 256 * 4)
    for i in 0..<n {
      let k = Int(truncatingIfNeeded: values[i] >> 32)
      h[k & 0xFF] += 1
      h[256 + (k >> 8) & 0xFF] += 1
      h[512 + (k >> 16) & 0xFF] += 1
      h[768 + (k >> 24) & 0xFF] += 1
    }
    var src = values, dst = scratch
    for pass in 0..<4 {
      let hp = h + pass * 256
      var trivial = false
      for b in 0..<256 where hp[b] != 0 { trivial = hp[b] == n; break }
      if trivial { continue }
      var sum = 0
      for b in 0..<256 { let c = hp[b]; hp[b] = sum; sum += c }
      let shift = UInt64(32 + 8 * pass)
      for i in 0..<n {
        let v = src[i]
        let b = Int(truncatingIfNeeded: (v >> shift) & 0xFF)
        dst[hp[b]] = v
        hp[b] += 1
      }
      swap(&src, &dst)
    }
    return UnsafePointer(src)
  }
}
