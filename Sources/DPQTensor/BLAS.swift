import COpenBLAS
import Foundation

/// The thin bridge to OpenBLAS: what the rest of dpq calls for matrix products and machine facts.
public enum BLAS {
  /// The OpenBLAS kernel family chosen for this CPU ("Zen", "Haswell", ...).
  public static var coreName: String {
    guard let p = openblas_get_corename() else { return "unknown" }
    return String(cString: p)
  }

  /// The threads dpq starts with: OpenBLAS's count before dpq took it over (OPENBLAS_NUM_THREADS,
  /// else every core). Reading it sets OpenBLAS to one thread for good: the engine's one thread
  /// policy (`Parallel`) supplies the parallelism, so no OpenBLAS thread spins on a core a worker
  /// needs, and OpenBLAS's threaded products, which round differently from its single-threaded
  /// ones, never make a result depend on the thread count.
  package static let initialThreadCount: Int = {
    let n = Int(openblas_get_num_threads())
    openblas_set_num_threads(1)
    return max(1, n)
  }()

  /// OpenBLAS's own thread count at this moment (1 once dpq has used it).
  package static var openBLASThreadCount: Int { Int(openblas_get_num_threads()) }

  /// Makes sure OpenBLAS runs single-threaded before a BLAS or LAPACK call (see
  /// `initialThreadCount`).
  @inline(__always) package static func takeOver() { _ = initialThreadCount }

  /// C = alpha * op(A) op(B) + beta * C on row-major buffers; op(A) is m x k, op(B) is k x n.
  /// `lda`, `ldb`, `ldc` default to the packed row lengths.

  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int? = nil,
    b: UnsafePointer<Float>, ldb: Int? = nil, beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int? = nil
  ) {
    guard m > 0 && n > 0 else { return }
    takeOver()
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
