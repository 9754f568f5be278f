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

  func deallocate() { goodness.deallocate(); ids.deallocate() }

  mutating func reset() { size = 0 }

  /// Whether (ga, ia) ranks below (gb, ib).
  @inline(__always) private static func isWorse(_ ga: Float, _ ia: UInt32, _ gb: Float, _ ib: UInt32) -> Bool {
    ga < gb || (ga == gb && ia > ib)
  }

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
      goodness[i] = goodness[parent]; ids[i] = ids[parent]
      i = parent
    }
    goodness[i] = g; ids[i] = id
  }

  private mutating func replaceRoot(_ g: Float, _ id: UInt32) {
    siftDown(g, id, from: 0, size: size)
  }

  private func siftDown(_ g: Float, _ id: UInt32, from start: Int, size n: Int) {
    var i = start
    while true {
      var child = 2 * i + 1
      if child >= n { break }
      if child + 1 < n && TopKHeap.isWorse(goodness[child + 1], ids[child + 1], goodness[child], ids[child]) { child += 1 }
      guard TopKHeap.isWorse(goodness[child], ids[child], g, id) else { break }
      goodness[i] = goodness[child]; ids[i] = ids[child]
      i = child
    }
    goodness[i] = g; ids[i] = id
  }

  /// Heap-sorts in place so that `goodness[0..<size]` and `ids[0..<size]` run best first; the heap
  /// is unusable afterwards until `reset()`.
  mutating func sortBestFirst() {
    var n = size
    while n > 1 {
      let (g, id) = (goodness[n - 1], ids[n - 1])
      goodness[n - 1] = goodness[0]; ids[n - 1] = ids[0]   // the worst goes to the back
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

/// Inverse of `descendingKey`.
@inline(__always) func goodness(fromKey key: UInt32) -> Float {
  let ascending = ~key
  return Float(bitPattern: (ascending & 0x8000_0000) != 0 ? ascending & 0x7FFF_FFFF : ~ascending)
}

/// Scratch for a stable least-significant-digit radix sort of (key, payload) pairs by key.
/// Stability is the tie rule: pairs enter in id order and equal keys keep it.
final class RadixSorter {
  let capacity: Int
  private let keysB: UnsafeMutablePointer<UInt32>
  private let payloadA: UnsafeMutablePointer<UInt32>
  private let payloadB: UnsafeMutablePointer<UInt32>
  private let histogram: UnsafeMutablePointer<Int>
  private static let digits: [(shift: UInt32, size: Int)] = [(0, 2048), (11, 2048), (22, 1024)]

  init(capacity: Int) {
    self.capacity = capacity
    keysB = .allocate(capacity: max(capacity, 1))
    payloadA = .allocate(capacity: max(capacity, 1))
    payloadB = .allocate(capacity: max(capacity, 1))
    histogram = .allocate(capacity: 2048 * 3)
  }

  deinit { keysB.deallocate(); payloadA.deallocate(); payloadB.deallocate(); histogram.deallocate() }

  /// Sorts `keys[0..<n]` ascending with payloads `0..<n` (the ids), stably. Returns pointers to the
  /// sorted keys and ids, which live in `keys` or in this sorter's scratch.
  func sortIds(keys: UnsafeMutablePointer<UInt32>, count n: Int) -> (keys: UnsafePointer<UInt32>, ids: UnsafePointer<UInt32>) {
    precondition(n <= capacity)
    for i in 0..<n { payloadA[i] = UInt32(truncatingIfNeeded: i) }
    histogram.initialize(repeating: 0, count: 2048 * 3)
    let h0 = histogram, h1 = histogram + 2048, h2 = histogram + 4096
    for i in 0..<n {
      let k = keys[i]
      h0[Int(k & 0x7FF)] += 1
      h1[Int((k >> 11) & 0x7FF)] += 1
      h2[Int(k >> 22)] += 1
    }
    var srcK = keys, srcP = payloadA, dstK = keysB, dstP = payloadB
    for (pass, digit) in RadixSorter.digits.enumerated() {
      let h = histogram + pass * 2048
      // A digit shared by every key leaves the order unchanged: skip the pass.
      var trivial = false
      for b in 0..<digit.size where h[b] != 0 { trivial = h[b] == n; break }
      if trivial { continue }
      var sum = 0
      for b in 0..<digit.size { let c = h[b]; h[b] = sum; sum += c }
      let mask = UInt32(digit.size - 1), shift = digit.shift
      for i in 0..<n {
        let k = srcK[i]
        let b = Int((k >> shift) & mask)
        let at = h[b]
        h[b] = at + 1
        dstK[at] = k
        dstP[at] = srcP[i]
      }
      swap(&srcK, &dstK); swap(&srcP, &dstP)
    }
    return (UnsafePointer(srcK), UnsafePointer(srcP))
  }
}
