import Dispatch
import Foundation

/// The engine's one worker pool and its one thread policy. Every parallel pass in dpq (the layers'
/// kernels, the matrix products' row pieces, k-means and encoding chunks, the search scan, image
/// decoding) runs its workers here:
/// - at most `maximum` workers: OpenBLAS's thread count when dpq started (OPENBLAS_NUM_THREADS,
///   else every core), or what `setEngineThreadCount` sets;
/// - OpenBLAS itself always single-threaded (`BLAS.initialThreadCount`): each worker's products
///   run in the worker (two levels of threading would oversubscribe the cores), a large product
///   outside the workers is cut into row pieces that run here, and OpenBLAS's threaded products,
///   which round differently, never make a result depend on the thread count;
/// - work is cut into pieces whose boundaries do not depend on the worker count, so the same
///   input gives the same bits on one core or many.
package enum Parallel {
  /// The most workers a pass uses. Results do not depend on it.
  nonisolated(unsafe) package static var maximum = BLAS.initialThreadCount

  /// Caps the workers below `maximum` (tests compare one worker with several); nil: no cap.
  nonisolated(unsafe) package static var workerLimit: Int? = nil

  /// Workers available to a pass.
  package static var workerCount: Int { max(1, min(maximum, workerLimit ?? maximum)) }

  /// How many workers to use for `tasks` independent pieces of work.
  package static func count(for tasks: Int) -> Int { max(1, min(workerCount, tasks)) }

  /// Calls `body(worker)` for `worker` in `0..<workers`, concurrently when `workers > 1`.
  ///
  /// Dispatch wants a `@Sendable` closure; the pool's callers share buffers whose rows each worker
  /// owns, which the type system cannot see, so the one unchecked hand-over lives here.
  package static func run(_ workers: Int, _ body: (Int) -> Void) {
    BLAS.takeOver()
    if workers <= 1 {
      body(0)
      return
    }
    withoutActuallyEscaping(body) { body in
      let shared = UncheckedSendable(body)
      DispatchQueue.concurrentPerform(iterations: workers) { shared.value($0) }
    }
  }

  /// Calls `body` on contiguous pieces of `0..<count` (boundaries multiples of 64), concurrently
  /// when there are at least `grain` elements per worker: memory-bound passes over large
  /// activations (ReLU, pooling) then use every core instead of leaving one idle.
  package static func forEachRange(_ count: Int, grain: Int = 1 << 18, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(workerCount, count / max(grain, 1)))
    if workers == 1 {
      body(0..<count)
      return
    }
    let piece = ((count + workers - 1) / workers + 63) / 64 * 64
    run(workers) { w in
      let lo = min(count, w * piece)
      let hi = min(count, lo + piece)
      if lo < hi { body(lo..<hi) }
    }
  }

  /// Calls `body(piece)` for every piece in `0..<pieces`, the pieces dealt round-robin to the
  /// workers.
  package static func forEachPiece(_ pieces: Int, _ body: (Int) -> Void) {
    let workers = count(for: pieces)
    run(workers) { worker in
      var piece = worker
      while piece < pieces {
        body(piece)
        piece += workers
      }
    }
  }

  /// Calls `body(rows, scratch)` for the chunks `0..<n` split into `chunkSize` rows; `makeScratch`
  /// runs once per worker before its first chunk. Each worker pulls the next chunk from a shared
  /// counter, so a worker slowed by another process on the machine does not hold the rest up.
  package static func forEachChunk<Scratch>(
    count n: Int, chunkSize: Int, makeScratch: () -> Scratch,
    _ body: (Range<Int>, inout Scratch) -> Void
  ) {
    guard n > 0 else { return }
    let size = max(1, chunkSize)
    let chunks = (n + size - 1) / size
    let counter = ChunkCounter()
    run(count(for: chunks)) { _ in
      var scratch = makeScratch()
      while let c = counter.next(below: chunks) { body(c * size..<min(n, (c + 1) * size), &scratch) }
    }
  }
}

/// Sets the engine's threads: the most workers any pass uses (OpenBLAS stays single-threaded).
public func setEngineThreadCount(_ n: Int) {
  BLAS.takeOver()
  Parallel.maximum = max(1, n)
}

/// The engine's threads: OpenBLAS's count when dpq started, or `setEngineThreadCount`'s.
public var engineThreadCount: Int { Parallel.maximum }

/// A value handed to the pool's threads without a Sendable check (see `Parallel.run`).
private struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

/// A lock-protected counter handing out chunk numbers.
private final class ChunkCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var value = 0

  /// The next unclaimed chunk, or nil once all `chunks` are claimed.
  func next(below chunks: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard value < chunks else { return nil }
    value += 1
    return value - 1
  }
}
