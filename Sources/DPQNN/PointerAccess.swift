import DPQTensor
import Dispatch
import Foundation

/// Runs `body` with a read pointer to the values of `t` (valid only inside `body`).
@inline(__always)
func withValues<R>(_ t: Tensor, _ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
  try t.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// Runs `body` with a read pointer to the values of `t`, or nil when there is no tensor.
@inline(__always)
func withOptionalValues<R>(_ t: Tensor?, _ body: (UnsafePointer<Float>?) throws -> R) rethrows -> R {
  guard let t else { return try body(nil) }
  return try t.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// A fresh tensor whose values `body` writes, all of them.
@inline(__always)
func makeTensor(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
  try Tensor(shape: shape) { try body($0.baseAddress!) }
}

/// A fresh zero-filled tensor that `body` then accumulates into.
@inline(__always)
func makeZeroedTensor(_ shape: [Int], _ body: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Tensor {
  try Tensor(shape: shape) { o in
    o.initialize(repeating: 0)
    try body(o.baseAddress!)
  }
}

/// Sets the threads of the whole engine: OpenBLAS's, and the workers the layers spread their work
/// over (which otherwise take OpenBLAS's count when first asked).
public func setEngineThreadCount(_ n: Int) {
  BLAS.setThreadCount(max(1, n))
  Workers.maximum = max(1, n)
}

/// Runs `body` (a training step) with the engine's one thread policy: OpenBLAS single-threaded,
/// the layers' workers and the matrix products' row pieces spread over `setEngineThreadCount`'s
/// threads. Results are the same as outside it.
public func withWorkerThreads<R>(_ body: () throws -> R) rethrows -> R { try Workers.region(body) }

/// Splits work over the CPU threads OpenBLAS is allowed to use. While workers run, OpenBLAS is
/// set to one thread so each worker's sgemm calls run in the worker itself (two levels of
/// threading would oversubscribe the cores).
enum Workers {
  /// The most workers a layer uses: OpenBLAS's thread count when first asked. Results do not
  /// depend on it (Conv2D sums its partial gradients over a fixed number of slots).
  nonisolated(unsafe) static var maximum = BLAS.threadCount

  /// How many workers to use for `tasks` independent pieces of work.
  static func count(for tasks: Int) -> Int { max(1, min(maximum, tasks)) }

  /// Calls `body(worker)` for `worker` in `0..<workers`, concurrently when `workers > 1`.
  /// OpenBLAS runs single-threaded inside the region even with one worker: its threaded
  /// products round differently, and results must not depend on the thread count.
  static func run(_ workers: Int, _ body: (Int) -> Void) {
    BLAS.singleThreaded {
      if workers <= 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
    }
  }

  /// Runs `body` (a whole training step) under one thread policy: OpenBLAS single-threaded
  /// throughout, so no OpenBLAS thread spins on a core a worker needs between two products, and
  /// the products of `Tensor.matmul` split over the workers instead (`Tensor.productWorkers`).
  static func region<R>(_ body: () throws -> R) rethrows -> R {
    try BLAS.singleThreaded {
      let savedProducts = Tensor.productWorkers
      Tensor.productWorkers = maximum
      defer { Tensor.productWorkers = savedProducts }
      return try body()
    }
  }

  /// Calls `body` on contiguous pieces of `0..<count` (boundaries multiples of 64), concurrently
  /// when there are at least `grain` elements per worker: memory-bound passes over large
  /// activations (ReLU, pooling) then use both cores instead of leaving one idle.
  static func forEachRange(_ count: Int, grain: Int = 1 << 18, _ body: (Range<Int>) -> Void) {
    let workers = max(1, min(maximum, count / max(grain, 1)))
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

  /// Calls `body(piece)` for every piece in `0..<pieces`, the pieces spread over the workers.
  static func forEachPiece(_ pieces: Int, _ body: (Int) -> Void) {
    let workers = count(for: pieces)
    run(workers) { worker in
      var piece = worker
      while piece < pieces {
        body(piece)
        piece += workers
      }
    }
  }
}
