import Foundation
import DPQTensor

/// The parallel engine behind `search`, `rank`, `scores` and `evaluate`: one pass over the codes
/// per query that evaluates every requested prefix length, then a top-k heap or an exact radix
/// sort per prefix, handed to a consumer inside the worker (so no full ranking needs to be kept).

/// What the pass produces per query and prefix.
enum RankingOutput {
  /// The best `depth` items, best first (heap when depth is small, stable radix sort otherwise).
  case ranked(depth: Int, needsScores: Bool)
  /// Every item's goodness in database order (the scores matrix).
  case unsorted
}

/// One worker's scratch buffers, reused across its queries.
final class ScanWorker {
  static let tileSize = 1024
  let itemCount: Int
  let prefixCount: Int
  let tile: UnsafeMutablePointer<Float>
  var heaps: [TopKHeap] = []
  let keys: UnsafeMutablePointer<UInt32>?
  let rawGoodness: UnsafeMutablePointer<Float>?
  let sorter: RadixSorter?
  let sortedGoodness: UnsafeMutablePointer<Float>?

  init(itemCount n: Int, blocks: Int, prefixCount p: Int, output: RankingOutput, useHeap: Bool) {
    itemCount = n
    prefixCount = p
    tile = .allocate(capacity: blocks * ScanWorker.tileSize)
    switch output {
    case let .ranked(depth, needsScores):
      if useHeap {
        heaps = (0..<p).map { _ in TopKHeap(capacity: depth) }
        keys = nil; sorter = nil; sortedGoodness = nil
      } else {
        keys = .allocate(capacity: max(p * n, 1))
        sorter = RadixSorter(capacity: n)
        sortedGoodness = needsScores ? .allocate(capacity: max(depth, 1)) : nil
      }
      rawGoodness = nil
    case .unsorted:
      keys = nil; sorter = nil; sortedGoodness = nil
      rawGoodness = .allocate(capacity: max(p * n, 1))
    }
  }

  deinit {
    tile.deallocate()
    for h in heaps { h.deallocate() }
    keys?.deallocate(); rawGoodness?.deallocate(); sortedGoodness?.deallocate()
  }
}

/// The list handed to a consumer: ids best first (empty for `.unsorted`) and their goodness
/// (larger is better; for `.unsorted`, every item's goodness in database order; empty when
/// scores were not requested).
struct RankedList {
  let ids: UnsafeBufferPointer<UInt32>
  let goodness: UnsafeBufferPointer<Float>
}

extension Index {
  /// Largest lookup-table batch, in floats (64 MiB); bigger query sets are processed in batches.
  static let lookupTableBatchFloats = 16 << 20

  /// Worker threads to use: the given count, or every active core.
  static func resolvedThreads(_ threads: Int?) -> Int {
    max(1, min(threads ?? ProcessInfo.processInfo.activeProcessorCount, 256))
  }

  /// Runs the pass for checked queries `[nq, D]` and the sorted, distinct block counts
  /// `prefixes`. `consume(worker, query, prefixIndex, list)` runs on worker threads; each call
  /// owns row `query` of whatever it writes. `shouldStop` is polled (under a lock) before each
  /// chunk of queries; chunks are claimed in order and finished once claimed, so the completed
  /// queries are always `0 ..< returned value`.
  func rankingPass(queries: Tensor, prefixes: [Int], output: RankingOutput, threads: Int,
                   shouldStop: (() -> Bool)?,
                   consume: (ScanWorker, Int, Int, RankedList) -> Void) -> Int {
    let nq = queries.shape[0], n = count
    let mk = blockCount, k = codewordCount
    let maxBlocks = prefixes.last ?? 1
    var useHeap = false
    if case let .ranked(depth, _) = output { useHeap = depth * 4 < n }
    let workerCount = min(threads, max(nq, 1))
    let workers = (0..<workerCount).map { _ in
      ScanWorker(itemCount: n, blocks: maxBlocks, prefixCount: prefixes.count, output: output, useHeap: useHeap)
    }
    let batch = max(1, min(nq, Index.lookupTableBatchFloats / (mk * k)))
    var completed = 0
    var stopped = false
    let lock = NSLock()

    queries.withUnsafeBufferPointer { qp in
      prefixNorms.withUnsafeBufferPointer { norms in
        var batchStart = 0
        while batchStart < nq && !stopped {
          let batchCount = min(batch, nq - batchStart)
          let qBase = qp.baseAddress! + batchStart * dimension
          let tables = lookupTables(queries: qBase, count: batchCount)
          let qNorms = metric == .squaredL2 ? queryNorms(queries: qBase, count: batchCount) : []
          // Small chunks balance the two cores and keep Ctrl-C responsive.
          let chunk = max(1, min(16, batchCount / (workerCount * 8)))
          let chunkCount = (batchCount + chunk - 1) / chunk
          var nextChunk = 0
          tables.withUnsafeBufferPointer { lut in
            DispatchQueue.concurrentPerform(iterations: workerCount) { w in
              let worker = workers[w]
              while true {
                lock.lock()
                if stopped || nextChunk >= chunkCount { lock.unlock(); return }
                if let stop = shouldStop, stop() { stopped = true; lock.unlock(); return }
                let c = nextChunk
                nextChunk += 1
                lock.unlock()
                for local in (c * chunk) ..< min(batchCount, (c + 1) * chunk) {
                  scanQuery(worker: worker, query: batchStart + local, lut: lut.baseAddress! + local * mk * k,
                            queryNorm: qNorms.isEmpty ? 0 : qNorms[local], norms: norms.baseAddress,
                            prefixes: prefixes, output: output, consume: consume)
                }
              }
            }
          }
          completed = batchStart + min(batchCount, nextChunk * chunk)
          batchStart += batchCount
        }
      }
    }
    _ = n
    return completed
  }

  /// Scans every item for one query and hands one list per prefix to `consume`.
  private func scanQuery(worker: ScanWorker, query: Int, lut: UnsafePointer<Float>, queryNorm: Float,
                         norms: UnsafePointer<Float>?, prefixes: [Int], output: RankingOutput,
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
    norms: UnsafePointer<Float>?, prefixes: [Int], output: RankingOutput,
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) {
    let n = count, mk = blockCount, k = codewordCount
    let tileSize = ScanWorker.tileSize
    let maxBlocks = prefixes.last ?? 1
    let all = prefixes.count > 1
    for h in worker.heaps.indices { worker.heaps[h].reset() }
    var start = 0
    while start < n {
      let c = min(tileSize, n - start)
      scanRunningSums(codes, stride: mk, lut: lut, codewordCount: k, start: start, count: c,
                      blocks: maxBlocks, all: all, out: worker.tile, outStride: tileSize)
      for (p, blocks) in prefixes.enumerated() {
        let row = worker.tile + (all ? (blocks - 1) * tileSize : 0)
        if metric == .squaredL2, let norms {
          convertToGoodness(row, count: c, metric: metric, queryNorm: queryNorm, itemNorms: norms + (blocks - 1) * n + start)
        }
        if !worker.heaps.isEmpty {
          worker.heaps[p].offer(row, count: c, firstId: start)
        } else if let keys = worker.keys {
          let dst = keys + p * n + start
          for j in 0..<c { dst[j] = descendingKey(row[j]) }
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
          let sorted = worker.sorter!.sortIds(keys: worker.keys! + p * n, count: n)
          let d = min(depth, n)
          var g = UnsafeBufferPointer<Float>(start: nil, count: 0)
          if needsScores, let out = worker.sortedGoodness {
            for j in 0..<d { out[j] = goodness(fromKey: sorted.keys[j]) }
            g = UnsafeBufferPointer(start: out, count: d)
          }
          consume(worker, query, p, RankedList(ids: UnsafeBufferPointer(start: sorted.ids, count: d), goodness: g))
        }
      }
    }
  }
}
