/// Matrix products through `cblas_sgemm`. Transposes are passed to BLAS as flags and never
/// materialised (DESIGN.md section 4); the gradients reuse the same flags.

extension Tensor {
  /// `op(a) @ op(b)` for rank-2 tensors, where op transposes when the flag is set.
  /// Rank-3 operands are batched matrix products over the leading axis; a rank-3 `a` with a
  /// rank-2 `b` multiplies every matrix of the batch by the same `b`.
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) throws
    -> Tensor
  {
    let v = try gemm(a, b, transposeA, transposeB)
    let ad = a.detached()
    let bd = b.detached()
    let label = transposeA || transposeB ? "matmul(\(transposeA ? "T" : "N")\(transposeB ? "T" : "N"))" : "matmul"
    return record(v, op: label, rule: "matmul", inputs: [a, b]) { g in
      var ga: Tensor? = nil
      var gb: Tensor? = nil
      switch (transposeA, transposeB) {
      case (false, false):
        if a.requiresGrad { ga = try gemm(g, bd, false, true) }
        if b.requiresGrad { gb = try gemm(ad, g, true, false) }
      case (true, false):
        if a.requiresGrad { ga = try gemm(bd, g, false, true) }
        if b.requiresGrad { gb = try gemm(ad, g, false, false) }
      case (false, true):
        if a.requiresGrad { ga = try gemm(g, bd, false, false) }
        if b.requiresGrad { gb = try gemm(g, ad, true, false) }
      case (true, true):
        if a.requiresGrad { ga = try gemm(bd, g, true, true) }
        if b.requiresGrad { gb = try gemm(g, ad, true, true) }
      }
      // a rank-2 operand shared by a batch: its gradient sums over the batch
      if let g1 = ga, g1.shape != a.shape { ga = try g1.sumToShape([1] + a.shape).reshaped(a.shape) }
      if let g2 = gb, g2.shape != b.shape { gb = try g2.sumToShape([1] + b.shape).reshaped(b.shape) }
      return [ga, gb]
    }
  }

  /// `a @ b`.
  public static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try matmul(a, b, transposeA: false, transposeB: false)
  }

  /// Refuses a product whose result is too large, or whose sizes do not fit the 32-bit
  /// integers cblas_sgemm takes (a wrapped size would make BLAS write out of bounds).
  static func checkGemm(m: Int, n: Int, k: Int, result: [Int]) throws {
    try checkShape(result, op: "matmul")
    let widest = Swift.max(m, n, k)
    guard widest <= Int(Int32.max) else {
      throw TensorError.invalidArgument(
        op: "matmul", reason: "a matrix side of \(widest) is more than BLAS's 32-bit limit of \(Int32.max)")
    }
  }

  /// The product without graph recording (also used by the gradients themselves).
  static func gemm(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) throws -> Tensor {
    let op = "matmul"
    switch (a.rank, b.rank) {
    case (2, 2):
      let (m, ka) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
      let (kb, n) = tb ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
      guard ka == kb else { throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape) }
      try checkGemm(m: m, n: n, k: ka, result: [m, n])
      var out = Tensor(shape: [m, n], zeroed: ka == 0)
      // Large products are cut into two fixed row pieces whatever the thread count (each row's
      // sums are OpenBLAS's single-threaded ones either way), run on the engine's workers.
      let pieces = 2 * m * n * ka >= 1 << 22 && m >= 16 ? 2 : 1
      let ap = a.storage.pointer
      let bp = b.storage.pointer
      let cp = out.storage.pointer
      let lda = a.shape[1]
      let ldb = b.shape[1]
      func piece(_ i: Int) {
        let lo = m * i / pieces
        let hi = m * (i + 1) / pieces
        BLAS.sgemm(
          transA: ta, transB: tb, m: hi - lo, n: n, k: ka, a: ta ? ap + lo : ap + lo * lda, lda: lda,
          b: bp, ldb: ldb, c: cp + lo * n, ldc: n)
      }
      Parallel.forEachPiece(pieces, piece)
      out.node = nil
      return out
    case (3, 3), (3, 2), (2, 3):
      let batch = a.rank == 3 ? a.shape[0] : b.shape[0]
      if a.rank == 3 && b.rank == 3 && a.shape[0] != b.shape[0] {
        throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape)
      }
      let a2 = Array(a.shape.suffix(2))
      let b2 = Array(b.shape.suffix(2))
      let (m, ka) = ta ? (a2[1], a2[0]) : (a2[0], a2[1])
      let (kb, n) = tb ? (b2[1], b2[0]) : (b2[0], b2[1])
      guard ka == kb else { throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape) }
      try checkGemm(m: m, n: n, k: ka, result: [batch, m, n])
      let out = Tensor(shape: [batch, m, n], zeroed: ka == 0)
      let strideA = a.rank == 3 ? a2[0] * a2[1] : 0
      let strideB = b.rank == 3 ? b2[0] * b2[1] : 0
      for i in 0..<batch {
        BLAS.sgemm(
          transA: ta, transB: tb, m: m, n: n, k: ka, a: a.storage.pointer + i * strideA, lda: a2[1],
          b: b.storage.pointer + i * strideB, ldb: b2[1], c: out.storage.pointer + i * m * n)
      }
      return out
    default:
      throw TensorError.invalidArgument(
        op: op, reason: "expects rank-2 or rank-3 operands, got shapes \(fmt(a.shape)) and \(fmt(b.shape))")
    }
  }
}
