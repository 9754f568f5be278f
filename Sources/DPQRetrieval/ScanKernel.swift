/// The inner loop of every search: running sums of lookup-table entries over a tile of items.
///
/// For item i with codes b_0..b_{M-1}, the running sum after block m is
/// `s_m = (((T_0[b_0] + T_1[b_1]) + ...) + T_m[b_m])`, always added left to right, so a search
/// over m+1 blocks and the one-pass evaluation of every prefix produce bit-identical scores.

/// Running sums for items `start ..< start + count`.
/// - `all`: write `s_m` for every m < blocks to `out[m * outStride + j]`; otherwise write only the
///   final sum to `out[j]`.
@inline(__always)
private func runningSums<C: FixedWidthInteger & UnsignedInteger>(
  _ codes: UnsafePointer<C>, stride: Int, lut: UnsafePointer<Float>, codewordCount k: Int,
  start: Int, count: Int, blocks: Int, all: Bool, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  var p = codes + start * stride
  for j in 0..<count {
    var s = lut[Int(p[0])]
    if all { out[j] = s }
    var m = 1
    while m < blocks {
      s += lut[m * k + Int(p[m])]
      if all { out[m * outStride + j] = s }
      m += 1
    }
    if !all { out[j] = s }
    p += stride
  }
}

/// `runningSums` for byte codes of exactly 4 blocks (32-bit codes, the reference configuration):
/// one 32-bit load per item instead of four byte loads; the same additions in the same order.
@inline(__always)
private func runningSums4(
  _ codes: UnsafePointer<UInt8>, lut: UnsafePointer<Float>, codewordCount k: Int,
  start: Int, count: Int, blocks: Int, all: Bool, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  let raw = UnsafeRawPointer(codes + start * 4)
  let t1 = lut + k
  let t2 = lut + 2 * k
  let t3 = lut + 3 * k
  for j in 0..<count {
    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
    let s0 = lut[Int(w & 0xFF)]
    if blocks == 1 {
      out[j] = s0
      continue
    }
    let s1 = s0 + t1[Int((w >> 8) & 0xFF)]
    if blocks == 2 {
      if all { out[j] = s0 }
      out[(all ? outStride : 0) + j] = s1
      continue
    }
    let s2 = s1 + t2[Int((w >> 16) & 0xFF)]
    if blocks == 3 {
      if all {
        out[j] = s0
        out[outStride + j] = s1
      }
      out[(all ? 2 * outStride : 0) + j] = s2
      continue
    }
    let s3 = s2 + t3[Int(w >> 24)]
    if all {
      out[j] = s0
      out[outStride + j] = s1
      out[2 * outStride + j] = s2
    }
    out[(all ? 3 * outStride : 0) + j] = s3
  }
}

/// The 32-bit scan straight into a top-k heap: the goodness of each 4-byte code (the inner
/// product, or the negated squared distance when `itemNorms` is given; the operations of
/// `runningSums4` and `convertToGoodness` in the same order, so the same bits) is compared with the
/// worst kept item in registers, with no tile of scores stored and read back. The heap sees the
/// same items in the same order as through `TopKHeap.offer`, so it ends in the same state.
@inline(__always)
private func select4(
  _ codes: UnsafePointer<UInt8>, lut: UnsafePointer<Float>, codewordCount k: Int, start: Int,
  count: Int, queryNorm: Float, itemNorms: UnsafePointer<Float>?, heap: inout TopKHeap
) {
  let raw = UnsafeRawPointer(codes + start * 4)
  let t1 = lut + k
  let t2 = lut + 2 * k
  let t3 = lut + 3 * k
  @inline(__always) func sum(_ j: Int) -> Float {
    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
    return ((lut[Int(w & 0xFF)] + t1[Int((w >> 8) & 0xFF)]) + t2[Int((w >> 16) & 0xFF)]) + t3[Int(w >> 24)]
  }
  @inline(__always) func goodness(_ j: Int) -> Float {
    guard let itemNorms else { return sum(j) }
    return -((queryNorm - 2 * sum(j)) + itemNorms[j])
  }
  var j = 0
  while !heap.isFull && j < count {
    heap.fill(goodness(j), id: start + j)
    j += 1
  }
  guard j < count else { return }
  var worst = heap.worst
  @inline(__always) func offer(_ g: Float, _ j: Int) {
    if g > worst {
      heap.replaceWorst(g, id: start + j)
      worst = heap.worst
    }
  }
  // One loop per metric, so the norm test is not made for every item.
  if let itemNorms {
    for i in j..<count { offer(-((queryNorm - 2 * sum(i)) + itemNorms[i]), i) }
  } else {
    for i in j..<count { offer(sum(i), i) }
  }
}

/// Lays the tables of `ScanWorker.queryBlock` (8) queries out for `select4x8`: entry (b, c) of
/// query q goes to `out[(b * k + c) * 8 + q]`, so one 32-byte load fetches it for all eight.
@inline(__always)
func interleaveTables(_ luts: UnsafePointer<Float>, lutStride: Int, entries: Int, out: UnsafeMutablePointer<Float>) {
  for q in 0..<8 {
    let lut = luts + q * lutStride
    for e in 0..<entries { out[e * 8 + q] = lut[e] }
  }
}

/// `select4` for eight queries at once over full heaps, one query per SIMD lane: each 4-byte code
/// is loaded once and each of its four entries is one vector load from the interleaved tables
/// (`interleaveTables`), so the eight sums take three vector additions. Every lane computes its
/// query's goodness with the operations of `select4` in the same order (IEEE single precision
/// lane by lane) and offers the items in the same order, so every heap ends as it would alone.
/// Needs all eight heaps full.
@inline(__always)
private func select4x8(
  _ codes: UnsafePointer<UInt8>, tables: UnsafeRawPointer, codewordCount k: Int, start: Int,
  count: Int, queryNorms: SIMD8<Float>?, itemNorms: UnsafePointer<Float>?,
  heaps: UnsafeMutablePointer<TopKHeap>, heapStride: Int
) {
  let raw = UnsafeRawPointer(codes + start * 4)
  var worst = SIMD8<Float>()
  for q in 0..<8 { worst[q] = heaps[q * heapStride].worst }
  let t1 = tables + k * 32
  let t2 = tables + 2 * k * 32
  let t3 = tables + 3 * k * 32
  @inline(__always) func sums(_ j: Int) -> SIMD8<Float> {
    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
    let e0 = tables.load(fromByteOffset: Int(w & 0xFF) &* 32, as: SIMD8<Float>.self)
    let e1 = t1.load(fromByteOffset: Int((w >> 8) & 0xFF) &* 32, as: SIMD8<Float>.self)
    let e2 = t2.load(fromByteOffset: Int((w >> 16) & 0xFF) &* 32, as: SIMD8<Float>.self)
    let e3 = t3.load(fromByteOffset: Int(w >> 24) &* 32, as: SIMD8<Float>.self)
    return ((e0 + e1) + e2) + e3
  }
  @inline(__always) func offer(_ g: SIMD8<Float>, _ j: Int) {
    let better = g .> worst
    guard any(better) else { return }
    for q in 0..<8 where better[q] {
      heaps[q * heapStride].replaceWorst(g[q], id: start + j)
      worst[q] = heaps[q * heapStride].worst
    }
  }
  if let itemNorms, let queryNorms {
    for j in 0..<count {
      offer(-((queryNorms - 2 * sums(j)) + SIMD8(repeating: itemNorms[j])), j)
    }
  } else {
    for j in 0..<count { offer(sums(j), j) }
  }
}

/// Dispatches to a copy of `runningSums` specialised for 1 to 8 blocks (the loop over blocks is
/// then fully unrolled), or the general loop beyond.
private func scanRunningSums<C: FixedWidthInteger & UnsignedInteger>(
  _ codes: UnsafePointer<C>, stride: Int, lut: UnsafePointer<Float>, codewordCount k: Int,
  start: Int, count: Int, blocks: Int, all: Bool, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  if C.self == UInt8.self && stride == 4 {
    let bytes = UnsafeRawPointer(codes).assumingMemoryBound(to: UInt8.self)
    @inline(__always) func run4(_ b: Int, _ a: Bool) {
      runningSums4(
        bytes, lut: lut, codewordCount: k, start: start, count: count, blocks: b, all: a, out: out, outStride: outStride
      )
    }
    switch (blocks, all) {
    case (1, _): run4(1, false)
    case (2, false): run4(2, false)
    case (2, true): run4(2, true)
    case (3, false): run4(3, false)
    case (3, true): run4(3, true)
    case (4, false): run4(4, false)
    default: run4(4, true)
    }
    return
  }
  @inline(__always) func run(_ b: Int, _ a: Bool) {
    runningSums(
      codes, stride: stride, lut: lut, codewordCount: k, start: start, count: count,
      blocks: b, all: a, out: out, outStride: outStride)
  }
  switch (blocks, all) {
  case (1, _): run(1, false)
  case (2, false): run(2, false)
  case (2, true): run(2, true)
  case (3, false): run(3, false)
  case (3, true): run(3, true)
  case (4, false): run(4, false)
  case (4, true): run(4, true)
  case (8, false): run(8, false)
  case (8, true): run(8, true)
  default: run(blocks, all)
  }
}

/// Turns running sums into goodness (larger is better) in place: the inner product itself, or the
/// negated squared distance `-((||q||^2 - 2 s) + ||x_hat||^2)` (negation is exact, so the distance
/// is recovered bit for bit).
@inline(__always)
private func convertToGoodness(
  _ values: UnsafeMutablePointer<Float>, count: Int, metric: IndexMetric,
  queryNorm: Float, itemNorms: UnsafePointer<Float>
) {
  guard metric == .squaredL2 else { return }
  for j in 0..<count { values[j] = -((queryNorm - 2 * values[j]) + itemNorms[j]) }
}

/// The user-facing score of a goodness value.
@inline(__always) func score(fromGoodness g: Float, metric: IndexMetric) -> Float {
  metric == .squaredL2 ? -g : g
}

/// The scans. They live in this file with the kernels they call so that the generic code is
/// specialised and inlined even in builds without whole-module optimisation.
extension Index {
  /// Scans every item for a block of `count` queries (`luts` holds their tables one after the
  /// other) into their top-k heaps, tile by tile, and hands one list per query and prefix to
  /// `consume`. Each query sees the items in the same order with the same arithmetic as alone.
  func scanQueryBlock(
    worker: ScanWorker, firstQuery: Int, count: Int, luts: UnsafePointer<Float>,
    queryNorms: UnsafePointer<Float>?, norms: [UnsafePointer<Float>?], prefixes: [Int],
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    switch codes.storage {
    case .uint8(let a):
      a.withUnsafeBufferPointer {
        scanQueryBlock(
          codes: $0.baseAddress!, worker: worker, firstQuery: firstQuery, count: count, luts: luts,
          queryNorms: queryNorms, norms: norms, prefixes: prefixes, consume: consume)
      }
    case .uint16(let a):
      a.withUnsafeBufferPointer {
        scanQueryBlock(
          codes: $0.baseAddress!, worker: worker, firstQuery: firstQuery, count: count, luts: luts,
          queryNorms: queryNorms, norms: norms, prefixes: prefixes, consume: consume)
      }
    }
  }

  private func scanQueryBlock<C: FixedWidthInteger & UnsignedInteger>(
    codes: UnsafePointer<C>, worker: ScanWorker, firstQuery: Int, count: Int, luts: UnsafePointer<Float>,
    queryNorms: UnsafePointer<Float>?, norms: [UnsafePointer<Float>?], prefixes: [Int],
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    let n = self.count
    let mk = blockCount
    let k = codewordCount
    let pc = prefixes.count
    let tileSize = ScanWorker.tileSize
    let maxBlocks = prefixes.last ?? 1
    let all = pc > 1
    let l2 = metric == .squaredL2
    precondition(count <= ScanWorker.queryBlock && worker.heaps.count >= count * pc)
    worker.heaps.withUnsafeMutableBufferPointer { heaps in
      for h in 0..<(count * pc) { heaps[h].reset() }
      // The 32-bit search of one code length: scores go straight into the heap.
      let fused = C.self == UInt8.self && mk == 4 && prefixes == [4] && (!l2 || norms[3] != nil)
      let fusedNorms: UnsafePointer<Float>? = fused && l2 ? norms[3] : nil
      var interleaved: UnsafeMutablePointer<Float>? = nil
      var blockNorms: SIMD8<Float>? = nil
      if fused && count == 8 && ScanWorker.queryBlock == 8 {
        interleaved = worker.interleavedTables(entries: mk * k)
        interleaveTables(luts, lutStride: mk * k, entries: mk * k, out: interleaved!)
        if l2, let queryNorms { blockNorms = SIMD8(UnsafeBufferPointer(start: queryNorms, count: 8)) }
      }
      var start = 0
      while start < n {
        let c = min(tileSize, n - start)
        var q = 0
        // All eight queries of a full block in one pass over the tile once their heaps are full
        // (from the first tile on, unless the database is smaller than the depth).
        if let interleaved, (0..<8).allSatisfy({ heaps[$0 * pc].isFull }) {
          select4x8(
            UnsafeRawPointer(codes).assumingMemoryBound(to: UInt8.self), tables: UnsafeRawPointer(interleaved),
            codewordCount: k, start: start, count: c, queryNorms: blockNorms,
            itemNorms: fusedNorms.map { $0 + start }, heaps: heaps.baseAddress!, heapStride: pc)
          q = count
        }
        while q < count {
          defer { q += 1 }
          let lut = luts + q * mk * k
          let queryNorm = queryNorms?[q] ?? 0
          if fused {
            select4(
              UnsafeRawPointer(codes).assumingMemoryBound(to: UInt8.self), lut: lut, codewordCount: k, start: start,
              count: c, queryNorm: queryNorm, itemNorms: fusedNorms.map { $0 + start }, heap: &heaps[q * pc])
            continue
          }
          scanRunningSums(
            codes, stride: mk, lut: lut, codewordCount: k, start: start, count: c,
            blocks: maxBlocks, all: all, out: worker.tile, outStride: tileSize)
          for (p, blocks) in prefixes.enumerated() {
            let row = worker.tile + (all ? (blocks - 1) * tileSize : 0)
            if l2, let prefixNorms = norms[blocks - 1] {
              convertToGoodness(row, count: c, metric: metric, queryNorm: queryNorm, itemNorms: prefixNorms + start)
            }
            heaps[q * pc + p].offer(row, count: c, firstId: start)
          }
        }
        start += c
      }
      for q in 0..<count {
        for p in 0..<pc {
          heaps[q * pc + p].sortBestFirst()
          let size = heaps[q * pc + p].size
          consume(
            worker, firstQuery + q, p,
            RankedList(
              ids: UnsafeBufferPointer(start: heaps[q * pc + p].ids, count: size),
              goodness: UnsafeBufferPointer(start: heaps[q * pc + p].goodness, count: size)))
        }
      }
    }
  }

  /// Scans every item for one query into full per-prefix goodness arrays (no heap: a full
  /// ranking, or the scores matrix) and hands one list per prefix to `consume`.
  func scanQuery(
    worker: ScanWorker, query: Int, lut: UnsafePointer<Float>, queryNorm: Float,
    norms: [UnsafePointer<Float>?], prefixes: [Int], output: RankingOutput,
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    switch codes.storage {
    case .uint8(let a):
      a.withUnsafeBufferPointer {
        scanQuery(
          codes: $0.baseAddress!, worker: worker, query: query, lut: lut, queryNorm: queryNorm,
          norms: norms, prefixes: prefixes, output: output, consume: consume)
      }
    case .uint16(let a):
      a.withUnsafeBufferPointer {
        scanQuery(
          codes: $0.baseAddress!, worker: worker, query: query, lut: lut, queryNorm: queryNorm,
          norms: norms, prefixes: prefixes, output: output, consume: consume)
      }
    }
  }

  private func scanQuery<C: FixedWidthInteger & UnsignedInteger>(
    codes: UnsafePointer<C>, worker: ScanWorker, query: Int, lut: UnsafePointer<Float>, queryNorm: Float,
    norms: [UnsafePointer<Float>?], prefixes: [Int], output: RankingOutput,
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    let n = count
    let mk = blockCount
    let k = codewordCount
    let tileSize = ScanWorker.tileSize
    let maxBlocks = prefixes.last ?? 1
    let all = prefixes.count > 1
    let raw = worker.rawGoodness!
    var start = 0
    while start < n {
      let c = min(tileSize, n - start)
      scanRunningSums(
        codes, stride: mk, lut: lut, codewordCount: k, start: start, count: c,
        blocks: maxBlocks, all: all, out: worker.tile, outStride: tileSize)
      for (p, blocks) in prefixes.enumerated() {
        let row = worker.tile + (all ? (blocks - 1) * tileSize : 0)
        if metric == .squaredL2, let prefixNorms = norms[blocks - 1] {
          convertToGoodness(row, count: c, metric: metric, queryNorm: queryNorm, itemNorms: prefixNorms + start)
        }
        (raw + p * n + start).update(from: row, count: c)
      }
      start += c
    }
    for p in prefixes.indices {
      let goodness = raw + p * n
      switch output {
      case .unsorted:
        consume(
          worker, query, p,
          RankedList(
            ids: UnsafeBufferPointer(start: nil, count: 0),
            goodness: UnsafeBufferPointer(start: goodness, count: n)))
      case .ranked(let depth, let needsScores):
        let sorted = worker.sorter!.sort(goodness: goodness, count: n)
        let d = min(depth, n)
        var g = UnsafeBufferPointer<Float>(start: nil, count: 0)
        if needsScores, let out = worker.sortedGoodness {
          for j in 0..<d { out[j] = goodness[Int(sorted[j])] }
          g = UnsafeBufferPointer(start: out, count: d)
        }
        consume(worker, query, p, RankedList(ids: UnsafeBufferPointer(start: sorted, count: d), goodness: g))
      }
    }
  }
}
