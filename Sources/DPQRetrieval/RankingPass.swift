import DPQTensor
import Foundation

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
  /// Queries scanned together over each tile of items (the heap path): the tile's codes and
  /// norms are read from memory once for all of them and stay in L1 while each query's tables
  /// (4 KiB each at M = 4, K = 256) are summed over them. Without it a database larger than the
  /// caches streams its codes and norms from DRAM once per query (measured: the per-item cost
  /// at 10 million items was 1.7x the one at 100,000).
  static let queryBlock = 8
  let itemCount: Int
  let prefixCount: Int
  let tile: UnsafeMutablePointer<Float>
  /// Top-k per query of a block and prefix (small depth): `heaps[q * prefixCount + p]`.
  var heaps: [TopKHeap] = []
  /// Every item's goodness per prefix, `[p][n]` (full sorts and the scores matrix).
  let rawGoodness: UnsafeMutablePointer<Float>?
  let sorter: RankSorter?
  let sortedGoodness: UnsafeMutablePointer<Float>?

  init(itemCount n: Int, blocks: Int, prefixCount p: Int, output: RankingOutput, useHeap: Bool) {
    itemCount = n
    prefixCount = p
    tile = .allocate(capacity: blocks * ScanWorker.tileSize)
    var sorter: RankSorter? = nil
    var scores: UnsafeMutablePointer<Float>? = nil
    var raw: UnsafeMutablePointer<Float>? = nil
    switch output {
    case .ranked(let depth, let needsScores):
      if useHeap {
        heaps = (0..<(ScanWorker.queryBlock * p)).map { _ in TopKHeap(capacity: depth) }
      } else {
        raw = .allocate(capacity: max(p * n, 1))
        sorter = RankSorter(capacity: n)
        if needsScores { scores = .allocate(capacity: max(depth, 1)) }
      }
    case .unsorted:
      raw = .allocate(capacity: max(p * n, 1))
    }
    self.sorter = sorter
    sortedGoodness = scores
    rawGoodness = raw
  }

  /// The eight interleaved query tables of `select4x8` (allocated on first use, 64-byte aligned).
  private var interleaved: UnsafeMutableRawPointer? = nil
  private var interleavedEntries = 0

  func interleavedTables(entries: Int) -> UnsafeMutablePointer<Float> {
    if interleavedEntries < entries {
      interleaved?.deallocate()
      interleaved = .allocate(byteCount: entries * 8 * MemoryLayout<Float>.stride, alignment: 64)
      interleavedEntries = entries
    }
    return interleaved!.assumingMemoryBound(to: Float.self)
  }

  deinit {
    interleaved?.deallocate()
    tile.deallocate()
    for h in heaps { h.deallocate() }
    rawGoodness?.deallocate()
    sortedGoodness?.deallocate()
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

  /// Worker threads to use: the given count, or the engine's (`Parallel.workerCount`).
  static func resolvedThreads(_ threads: Int?) -> Int {
    max(1, min(threads ?? Parallel.workerCount, 256))
  }

  /// Runs the pass for checked queries `[nq, D]` and the sorted, distinct block counts
  /// `prefixes`. `consume(worker, query, prefixIndex, list)` runs on worker threads; each call
  /// owns row `query` of whatever it writes. `shouldStop` is polled (under a lock) before each
  /// chunk of queries; chunks are claimed in order and finished once claimed, so the completed
  /// queries are always `0 ..< returned value`.
  func rankingPass(
    queries: Tensor, prefixes: [Int], output: RankingOutput, threads: Int,
    shouldStop: (@Sendable () -> Bool)?,
    consume: (ScanWorker, Int, Int, RankedList) -> Void
  ) -> Int {
    let nq = queries.shape[0]
    let n = count
    let mk = blockCount
    let k = codewordCount
    let maxBlocks = prefixes.last ?? 1
    var useHeap = false
    if case .ranked(let depth, _) = output { useHeap = depth * 4 < n }
    let workerCount = min(threads, max(nq, 1))
    let workers = (0..<workerCount).map { _ in
      ScanWorker(itemCount: n, blocks: maxBlocks, prefixCount: prefixes.count, output: output, useHeap: useHeap)
    }
    let batch = max(1, min(nq, Index.lookupTableBatchFloats / (mk * k)))
    var completed = 0
    var stopped = false
    let lock = NSLock()

    queries.withUnsafeBufferPointer { qp in
      prefixNorms.withPointers { norms in
        var batchStart = 0
        while batchStart < nq && !stopped {
          let batchCount = min(batch, nq - batchStart)
          let qBase = qp.baseAddress! + batchStart * dimension
          let tables = lookupTables(queries: qBase, count: batchCount)
          let qNorms = metric == .squaredL2 ? queryNorms(queries: qBase, count: batchCount) : []
          // Small chunks balance the two cores and keep Ctrl-C responsive; at least a query block
          // each while every worker still gets one.
          let perWorker = (batchCount + workerCount - 1) / workerCount
          let chunk = max(1, min(ScanWorker.queryBlock, perWorker), min(16, batchCount / (workerCount * 8)))
          let chunkCount = (batchCount + chunk - 1) / chunk
          var nextChunk = 0
          qNorms.withUnsafeBufferPointer { qn in
            tables.withUnsafeBufferPointer { lut in
              Parallel.run(workerCount) { w in
                let worker = workers[w]
                while true {
                  lock.lock()
                  if stopped || nextChunk >= chunkCount {
                    lock.unlock()
                    return
                  }
                  if let stop = shouldStop, stop() {
                    stopped = true
                    lock.unlock()
                    return
                  }
                  let c = nextChunk
                  nextChunk += 1
                  lock.unlock()
                  let end = min(batchCount, (c + 1) * chunk)
                  var local = c * chunk
                  while local < end {
                    if useHeap {
                      let b = min(ScanWorker.queryBlock, end - local)
                      scanQueryBlock(
                        worker: worker, firstQuery: batchStart + local, count: b,
                        luts: lut.baseAddress! + local * mk * k,
                        queryNorms: qn.baseAddress.map { $0 + local }, norms: norms,
                        prefixes: prefixes, consume: consume)
                      local += b
                    } else {
                      scanQuery(
                        worker: worker, query: batchStart + local, lut: lut.baseAddress! + local * mk * k,
                        queryNorm: qNorms.isEmpty ? 0 : qNorms[local], norms: norms,
                        prefixes: prefixes, output: output, consume: consume)
                      local += 1
                    }
                  }
                }
              }
            }
          }
          completed = batchStart + min(batchCount, nextChunk * chunk)
          batchStart += batchCount
        }
      }
    }
    return completed
  }
}
