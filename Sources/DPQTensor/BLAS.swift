import COpenBLAS
import Foundation

/// The thin bridge to OpenBLAS: what the rest of dpq calls for matrix products and machine facts.
public enum BLAS {
  /// The OpenBLAS kernel family chosen for this CPU ("Zen", "Haswell", ...).
  public static var coreName: String {
    guard let p = openblas_get_corename() else { return "unknown" }
    return String(cString: p)
  }

  public static var threadCount: Int { Int(openblas_get_num_threads()) }

  public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(n)) }

  /// Runs `body` with OpenBLAS single-threaded, restoring its thread count after the outermost of
  /// overlapping calls (from any threads) ends. OpenBLAS's threaded products round differently
  /// from its single-threaded ones, so work whose results must not depend on the thread count, or
  /// on what another thread is doing with it (a training step's layers, a search's lookup
  /// tables), runs its products here; its own workers supply the parallelism.
  public static func singleThreaded<R>(_ body: () throws -> R) rethrows -> R {
    SingleThreadedRegion.enter()
    defer { SingleThreadedRegion.leave() }
    return try body()
  }

  /// C = alpha * op(A) op(B) + beta * C on row-major buffers; op(A) is m x k, op(B) is k x n.
  /// `lda`, `ldb`, `ldc` default to the packed row lengths.

  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
  ) {
    guard m > 0 && n > 0 else { return }
    if k == 0 {
      // BLAS leaves C untouched when k == 0 only if beta == 1; make the result explicit.
      for i in 0..<m { for j in 0..<n { c[i * (ldc ?? n) + j] *= beta } }
      return
    }
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha,
      a, Int32(lda ?? (transA ? m : k)), b, Int32(ldb ?? (transB ? k : n)), beta,
      c, Int32(ldc ?? n))
  }
}

/// The nesting count behind `BLAS.singleThreaded`: only the outermost region changes OpenBLAS.
private enum SingleThreadedRegion {
  static let lock = NSLock()
  nonisolated(unsafe) static var active = 0
  nonisolated(unsafe) static var savedThreadCount = 1

  static func enter() {
    lock.lock()
    if active == 0 {
      savedThreadCount = BLAS.threadCount
      BLAS.setThreadCount(1)
    }
    active += 1
    lock.unlock()
  }

  static func leave() {
    lock.lock()
    active -= 1
    if active == 0 { BLAS.setThreadCount(savedThreadCount) }
    lock.unlock()
  }
}
