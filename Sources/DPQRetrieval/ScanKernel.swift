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
  let t1 = lut + k, t2 = lut + 2 * k, t3 = lut + 3 * k
  for j in 0..<count {
    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
    let s0 = lut[Int(w & 0xFF)]
    if blocks == 1 { out[j] = s0; continue }
    let s1 = s0 + t1[Int((w >> 8) & 0xFF)]
    if blocks == 2 { if all { out[j] = s0 }; out[(all ? outStride : 0) + j] = s1; continue }
    let s2 = s1 + t2[Int((w >> 16) & 0xFF)]
    if blocks == 3 {
      if all { out[j] = s0; out[outStride + j] = s1 }
      out[(all ? 2 * outStride : 0) + j] = s2
      continue
    }
    let s3 = s2 + t3[Int(w >> 24)]
    if all { out[j] = s0; out[outStride + j] = s1; out[2 * outStride + j] = s2 }
    out[(all ? 3 * outStride : 0) + j] = s3
  }
}

/// `runningSums4` over all 4 blocks followed by `convertToGoodness` for squared L2, in one pass:
/// the same operations in the same order, so the same goodness bit for bit, without storing and
/// reloading the sums.
@inline(__always)
private func goodness4L2(_ codes: UnsafePointer<UInt8>, lut: UnsafePointer<Float>, codewordCount k: Int, start: Int,
                         count: Int, queryNorm: Float, itemNorms: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
  let raw = UnsafeRawPointer(codes + start * 4)
  let t1 = lut + k, t2 = lut + 2 * k, t3 = lut + 3 * k
  for j in 0..<count {
    let w = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: j * 4, as: UInt32.self))
    let s = ((lut[Int(w & 0xFF)] + t1[Int((w >> 8) & 0xFF)]) + t2[Int((w >> 16) & 0xFF)]) + t3[Int(w >> 24)]
    out[j] = -((queryNorm - 2 * s) + itemNorms[j])
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
      runningSums4(bytes, lut: lut, codewordCount: k, start: start, count: count, blocks: b, all: a, out: out, outStride: outStride)
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
    runningSums(codes, stride: stride, lut: lut, codewordCount: k, start: start, count: count,
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
private func convertToGoodness(_ values: UnsafeMutablePointer<Float>, count: Int, metric: IndexMetric,
                       queryNorm: Float, itemNorms: UnsafePointer<Float>) {
  guard metric == .squaredL2 else { return }
  for j in 0..<count { values[j] = -((queryNorm - 2 * values[j]) + itemNorms[j]) }
}

/// The user-facing score of a goodness value.
@inline(__always) func score(fromGoodness g: Float, metric: IndexMetric) -> Float {
  metric == .squaredL2 ? -g : g
}

/// The per-query scan. It lives in this file with the kernels it calls so that the generic code
/// is specialised and inlined even in builds without whole-module optimisation.
extension Index {
  /// Scans every item for one query and hands one list per prefix to `consume`.
  func scanQuery(worker: ScanWorker, query: Int, lut: UnsafePointer<Float>, queryNorm: Float,
                         norms: [UnsafePointer<Float>?], prefixes: [Int], output: RankingOutput,
                         consume: (ScanWorker, Int, Int, RankedList) -> Void) {
    switch codes.storage {
    case .uint8(let a):
      a.withUnsafeBufferPointer { scanQuery(codes: $0.baseAddress!, worker: worker, query: query, lut: lut, queryNorm: queryNorm,
                                            norms: norms, prefixes: prefixes, output: output, consume: consume) }
    case .uint16(let a):
      a.withUnsafeBufferPointer { scanQuery(codes: $0.baseAddress!, worker: worker, query: query, lut: lut, queryNorm: queryNorm,
                                            norms: norms, prefixes: prefixes, output: output, consume: consume) }
    }
  }

  private func scanQuery<C: FixedWidthInteger & UnsignedInteger>(
    codes: UnsafePointer<C>, worker: ScanWorker, query: Int, lut: UnsafePointer<Float>, queryNorm: Float,
    norms: [UnsafePointer<Float>?], prefixes: [Int], output: RankingOutput,
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    let n = count, mk = blockCount, k = codewordCount
    let tileSize = ScanWorker.tileSize
    let maxBlocks = prefixes.last ?? 1
    let all = prefixes.count > 1
    for h in worker.heaps.indices { worker.heaps[h].reset() }
    // The 32-bit squared-L2 search: sums and goodness in one pass over the tile.
    let fusedNorms: UnsafePointer<Float>? = (C.self == UInt8.self && mk == 4 && prefixes == [4] && metric == .squaredL2)
      ? norms[3] : nil
    var start = 0
    while start < n {
      let c = min(tileSize, n - start)
      if let fusedNorms, !worker.heaps.isEmpty {
        goodness4L2(UnsafeRawPointer(codes).assumingMemoryBound(to: UInt8.self), lut: lut, codewordCount: k, start: start,
                    count: c, queryNorm: queryNorm, itemNorms: fusedNorms + start, out: worker.tile)
        worker.heaps[0].offer(worker.tile, count: c, firstId: start)
        start += c
        continue
      }
      scanRunningSums(codes, stride: mk, lut: lut, codewordCount: k, start: start, count: c,
                      blocks: maxBlocks, all: all, out: worker.tile, outStride: tileSize)
      for (p, blocks) in prefixes.enumerated() {
        let row = worker.tile + (all ? (blocks - 1) * tileSize : 0)
        if metric == .squaredL2, let prefixNorms = norms[blocks - 1] {
          convertToGoodness(row, count: c, metric: metric, queryNorm: queryNorm, itemNorms: prefixNorms + start)
        }
        if !worker.heaps.isEmpty {
          worker.heaps[p].offer(row, count: c, firstId: start)
        } else if let raw = worker.rawGoodness {
          (raw + p * n + start).update(from: row, count: c)
        }
      }
      start += c
    }
    for p in prefixes.indices {
      switch output {
      case .unsorted:
        let raw = worker.rawGoodness! + p * n
        consume(worker, query, p, RankedList(ids: UnsafeBufferPointer(start: nil, count: 0),
                                             goodness: UnsafeBufferPointer(start: raw, count: n)))
      case let .ranked(depth, needsScores):
        if !worker.heaps.isEmpty {
          worker.heaps[p].sortBestFirst()
          let size = worker.heaps[p].size
          consume(worker, query, p, RankedList(ids: UnsafeBufferPointer(start: worker.heaps[p].ids, count: size),
                                               goodness: UnsafeBufferPointer(start: worker.heaps[p].goodness, count: size)))
        } else {
          let raw = worker.rawGoodness! + p * n
          let sorted = worker.sorter!.sort(goodness: raw, count: n)
          let d = min(depth, n)
          var g = UnsafeBufferPointer<Float>(start: nil, count: 0)
          if needsScores, let out = worker.sortedGoodness {
            for j in 0..<d { out[j] = raw[Int(sorted[j])] }
            g = UnsafeBufferPointer(start: out, count: d)
          }
          consume(worker, query, p, RankedList(ids: UnsafeBufferPointer(start: sorted, count: d), goodness: g))
        }
      }
    }
  }
}
