/// Ranking primitives over "goodness" values (larger is better: the inner product, or the negated
/// squared distance). Both paths implement the same total order: larger goodness first, and equal
/// goodness by smaller id, so a bounded heap and a full sort agree to the last tie.

/// The k best (goodness, id) pairs seen so far, as a binary heap whose root is the worst kept pair.
struct TopKHeap {
  let capacity: Int
  private(set) var size = 0
  let goodness: UnsafeMutablePointer<Float>
  let ids: UnsafeMutablePointer<UInt32>

  init(capacity: Int) {
    self.capacity = capacity
    goodness = .allocate(capacity: max(capacity, 1))
    ids = .allocate(capacity: max(capacity, 1))
  }

  func deallocate() {
    goodness.deallocate()
    ids.deallocate()
  }

  mutating func reset() { size = 0 }

  /// Whether (ga, ia) ranks below (gb, ib).
  @inline(__always) private static func isWorse(_ ga: Float, _ ia: UInt32, _ gb: Float, _ ib: UInt32) -> Bool {
    ga < gb || (ga == gb && ia > ib)
  }

  /// Whether the heap holds `capacity` items (from then on only a goodness above `worst` enters).
  var isFull: Bool { size == capacity }

  /// The goodness of the worst kept item (the root); valid when the heap is not empty.
  var worst: Float { goodness[0] }

  /// Adds one item while the heap is not full (ids in increasing order, as in `offer`).
  @inline(__always) mutating func fill(_ g: Float, id: Int) { push(g, UInt32(truncatingIfNeeded: id)) }

  /// Replaces the worst kept item by one whose goodness is above `worst` (a full heap).
  @inline(__always) mutating func replaceWorst(_ g: Float, id: Int) { replaceRoot(g, UInt32(truncatingIfNeeded: id)) }

  /// Offers `count` consecutive items whose ids start at `firstId`. Ids arrive in increasing order,
  /// so a newcomer whose goodness equals the worst kept one ranks below it: only a strictly
  /// larger goodness can enter a full heap, which keeps the common case to one comparison.
  @inline(__always) mutating func offer(_ values: UnsafePointer<Float>, count: Int, firstId: Int) {
    var j = 0
    while size < capacity && j < count {
      push(values[j], UInt32(truncatingIfNeeded: firstId + j))
      j += 1
    }
    guard j < count else { return }
    var worst = goodness[0]
    // Eight at a time: most groups hold nothing better than the worst kept item.
    while j + 8 <= count {
      let v = values + j
      // A max tree (no Swift SIMD types: their generic operators do not compile to vector code here).
      let m01 = v[0] > v[1] ? v[0] : v[1]
      let m23 = v[2] > v[3] ? v[2] : v[3]
      let m45 = v[4] > v[5] ? v[4] : v[5]
      let m67 = v[6] > v[7] ? v[6] : v[7]
      let m03 = m01 > m23 ? m01 : m23
      let m47 = m45 > m67 ? m45 : m67
      if (m03 > m47 ? m03 : m47) > worst {
        for t in j..<j + 8 where values[t] > worst {
          replaceRoot(values[t], UInt32(truncatingIfNeeded: firstId + t))
          worst = goodness[0]
        }
      }
      j += 8
    }
    while j < count {
      let v = values[j]
      if v > worst {
        replaceRoot(v, UInt32(truncatingIfNeeded: firstId + j))
        worst = goodness[0]
      }
      j += 1
    }
  }

  private mutating func push(_ g: Float, _ id: UInt32) {
    var i = size
    size += 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard TopKHeap.isWorse(g, id, goodness[parent], ids[parent]) else { break }
      goodness[i] = goodness[parent]
      ids[i] = ids[parent]
      i = parent
    }
    goodness[i] = g
    ids[i] = id
  }

  private mutating func replaceRoot(_ g: Float, _ id: UInt32) {
    siftDown(g, id, from: 0, size: size)
  }

  private func siftDown(_ g: Float, _ id: UInt32, from start: Int, size n: Int) {
    var i = start
    while true {
      var child = 2 * i + 1
      if child >= n { break }
      if child + 1 < n && TopKHeap.isWorse(goodness[child + 1], ids[child + 1], goodness[child], ids[child]) {
        child += 1
      }
      guard TopKHeap.isWorse(goodness[child], ids[child], g, id) else { break }
      goodness[i] = goodness[child]
      ids[i] = ids[child]
      i = child
    }
    goodness[i] = g
    ids[i] = id
  }

  /// Heap-sorts in place so that `goodness[0..<size]` and `ids[0..<size]` run best first; the heap
  /// is unusable afterwards until `reset()`.
  mutating func sortBestFirst() {
    var n = size
    while n > 1 {
      let (g, id) = (goodness[n - 1], ids[n - 1])
      goodness[n - 1] = goodness[0]
      ids[n - 1] = ids[0] // the worst goes to the back
      n -= 1
      siftDown(g, id, from: 0, size: n)
    }
  }
}

/// Order-preserving map from goodness to a key whose ascending order is descending goodness.
/// `+ 0` turns -0 into +0, so the two zeros (equal as floats) get the same key.
@inline(__always) func descendingKey(_ g: Float) -> UInt32 {
  let b = (g + 0).bitPattern
  let ascending = (b & 0x8000_0000) != 0 ? ~b : b | 0x8000_0000
  return ~ascending
}

/// An exact full ranking of n goodness values: better first, equal values by smaller id.
///
/// Each item becomes a packed value `descendingKey << 32 | id`, whose ascending order is exactly
/// the ranking order. A radix sort of the packed values streams the array several times and is
/// memory-bound at n = 69,000 (measured slower). Instead each item gets a bucket from a monotone
/// linear function of its goodness (about 4 items per bucket, so the buckets are already in
/// ranking order), the packed values are scattered once, in id order, and each small bucket is
/// sorted on its own: insertion sort, or the standard sort for crowded buckets. Buckets already
/// in order, such as runs of equal scores (which arrive in id order), cost one check. (Scattering
/// bare ids and sorting through goodness lookups was measured slower.)
final class RankSorter {
  let capacity: Int
  private let bucketEnd: UnsafeMutablePointer<Int32>
  private let itemBucket: UnsafeMutablePointer<UInt16>
  private let packed: UnsafeMutablePointer<UInt64>
  private let ids: UnsafeMutablePointer<UInt32>
  static let maxBuckets = 1 << 16

  init(capacity: Int) {
    self.capacity = capacity
    bucketEnd = .allocate(capacity: RankSorter.maxBuckets + 1)
    itemBucket = .allocate(capacity: max(capacity, 1))
    packed = .allocate(capacity: max(capacity, 1))
    ids = .allocate(capacity: max(capacity, 1))
  }

  deinit {
    bucketEnd.deallocate()
    itemBucket.deallocate()
    packed.deallocate()
    ids.deallocate()
  }

  /// The ids of `goodness[0..<n]` in ranking order (valid until the next call).
  func sort(goodness g: UnsafePointer<Float>, count n: Int) -> UnsafePointer<UInt32> {
    precondition(n <= capacity)
    guard n > 0 else { return UnsafePointer(ids) }
    var lo = g[0]
    var hi = g[0]
    for i in 1..<n {
      let v = g[i]
      if v < lo { lo = v }
      if v > hi { hi = v }
    }
    let bucketCount = max(1, min(RankSorter.maxBuckets, n / 4))
    let range = Double(hi) - Double(lo)
    // (hi - g) * scale is monotone in g, so a better item never lands in a later bucket.
    let scale = range > 0 && range.isFinite ? Double(bucketCount - 1) / range : 0
    let top = Double(hi)
    let last = bucketCount - 1
    let end = bucketEnd
    end.initialize(repeating: 0, count: bucketCount + 1)
    @inline(__always) func bucket(_ v: Float) -> Int { min(last, Int((top - Double(v)) * scale)) }
    for i in 0..<n {
      let b = bucket(g[i])
      itemBucket[i] = UInt16(truncatingIfNeeded: b)
      end[b + 1] += 1
    }
    for b in 0..<bucketCount { end[b + 1] += end[b] }
    // end[b] is now the start of bucket b; scattering advances it to the start of b + 1.
    for i in 0..<n {
      let b = Int(itemBucket[i])
      let at = Int(end[b])
      packed[at] = UInt64(descendingKey(g[i])) << 32 | UInt64(truncatingIfNeeded: i)
      end[b] = Int32(at + 1)
    }
    var start = 0
    for b in 0..<bucketCount {
      let stop = Int(end[b])
      if stop - start > 1 { RankSorter.sortBucket(packed + start, count: stop - start) }
      start = stop
    }
    for j in 0..<n { ids[j] = UInt32(truncatingIfNeeded: packed[j]) }
    return UnsafePointer(ids)
  }

  private static func sortBucket(_ p: UnsafeMutablePointer<UInt64>, count k: Int) {
    var ordered = true
    for j in 1..<k where p[j] < p[j - 1] {
      ordered = false
      break
    }
    if ordered { return }
    if k <= 64 {
      for j in 1..<k {
        let v = p[j]
        var i = j
        while i > 0 && p[i - 1] > v {
          p[i] = p[i - 1]
          i -= 1
        }
        p[i] = v
      }
    } else {
      // Packed values are distinct (the id is part of them), so any correct sort gives the tie rule.
      var values = UnsafeMutableBufferPointer(start: p, count: k)
      values.sort()
    }
  }
}
