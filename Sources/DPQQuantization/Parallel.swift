import DPQTensor
import Dispatch
import Foundation

/// Runs row chunks on every core. Each worker owns its scratch and pulls the next chunk from a
/// shared counter, so a worker slowed by another process on the machine does not hold the rest up.
package enum Parallel {
  /// Workers to use: the cores this process may run on, or `workerLimit` if set.
  static var workerCount: Int { max(1, workerLimit ?? ProcessInfo.processInfo.activeProcessorCount) }
  /// Caps the workers (benchmarks compare 1 and 2); nil uses every core.
  nonisolated(unsafe) static var workerLimit: Int? = nil

  /// Calls `body(rows, worker)` for the chunks `0..<n` split into `chunkSize` rows, from up to
  /// `workerCount` threads; `makeScratch` runs once per worker before its first chunk.
  ///
  /// OpenBLAS (pthreads build) serialises concurrent multi-threaded level-3 calls on an internal
  /// lock, so the sgemm inside `body` stays safe; the workers' argmin and bookkeeping overlap it.
  package static func forEachChunk<Scratch>(
    count n: Int, chunkSize: Int, makeScratch: () -> Scratch,
    _ body: (Range<Int>, inout Scratch) -> Void
  ) {
    guard n > 0 else { return }
    let size = max(1, chunkSize)
    let chunks = (n + size - 1) / size
    let workers = min(workerCount, chunks)
    if workers == 1 {
      var scratch = makeScratch()
      for c in 0..<chunks { body(c * size..<min(n, (c + 1) * size), &scratch) }
      return
    }
    let counter = ChunkCounter()
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      var scratch = makeScratch()
      while true {
        let c = counter.next()
        if c >= chunks { break }
        body(c * size..<min(n, (c + 1) * size), &scratch)
      }
    }
  }
}

/// A lock-protected counter handing out chunk numbers.
private final class ChunkCounter {
  private let lock = NSLock()
  private var value = 0

  func next() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value - 1
  }
}

// MARK: codes <-> flat labels

extension Codes {
  /// Codes from n x M labels (item-major), each already checked to be below `codewordCount`.
  static func fromLabels(_ labels: [Int32], count: Int, blockCount: Int, codewordCount: Int) throws -> Codes {
    var codes = try Codes(count: count, blockCount: blockCount, codewordCount: codewordCount)
    if codewordCount <= 256 {
      _ = codes.withUnsafeMutableUInt8Buffer { b in
        for i in 0..<labels.count { b[i] = UInt8(truncatingIfNeeded: labels[i]) }
      }
    } else {
      _ = codes.withUnsafeMutableUInt16Buffer { b in
        for i in 0..<labels.count { b[i] = UInt16(truncatingIfNeeded: labels[i]) }
      }
    }
    return codes
  }

  /// All codes as Int32, item-major (what the decoders index with).
  var int32Values: [Int32] {
    switch storage {
    case .uint8(let a): return a.map { Int32($0) }
    case .uint16(let a): return a.map { Int32($0) }
    }
  }
}
