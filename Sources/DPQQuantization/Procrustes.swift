import COpenBLAS
import DPQTensor

/// Orthogonal matrices through LAPACK's SVD (`sgesvd_`): the orthogonal Procrustes step of OPQ
/// and random rotations.
enum Orthogonal {
  /// The orthogonal matrix nearest to the square matrix `a` in Frobenius norm: `U V^T` for
  /// `a = U S V^T` (the polar factor).
  ///
  /// LAPACK is column-major: the row-major buffer of `a` is `a^T` to it. Its SVD
  /// `a^T = P S Q^T` returns P in `u` and Q^T in `vt`, column-major; so `a = Q S P^T`, the polar
  /// factor is `Q P^T`, and read back row-major `vt` is Q and `u` is P^T: the result is the
  /// row-major product `vt @ u`, with no transpose taken anywhere.
  static func polarFactor(_ a: Tensor) throws -> Tensor {
    guard a.rank == 2, a.shape[0] == a.shape[1], a.shape[0] > 0 else {
      throw QuantizationError.invalidShape(op: "polarFactor", shape: a.shape, expected: "a square matrix")
    }
    let d = a.shape[0]
    // sgesvd is a long chain of small level-2 steps: OpenBLAS threads only add hand-offs there,
    // and on a busy machine their yielding made the SVD 2-3x slower (OPQ's rotation step on
    // 300-d: 2.0 s with 2 threads, 0.7 s with 1). OpenBLAS is single-threaded in dpq.
    BLAS.takeOver()
    var work = a.scalars // destroyed by sgesvd
    var s = [Float](repeating: 0, count: d)
    var u = [Float](repeating: 0, count: d * d)
    var vt = [Float](repeating: 0, count: d * d)
    var m = Int32(d)
    var n = Int32(d)
    var lda = Int32(d)
    var ldu = Int32(d)
    var ldvt = Int32(d)
    var info: Int32 = 0
    // Workspace query (lwork = -1): LAPACK writes the optimal size into the first work element.
    var lwork: Int32 = -1
    var optimal: Float = 0
    sgesvd_("A", "A", &m, &n, &work, &lda, &s, &u, &ldu, &vt, &ldvt, &optimal, &lwork, &info)
    guard info == 0 else {
      throw QuantizationError.linearAlgebraFailure(routine: "sgesvd (workspace query)", info: Int(info))
    }
    lwork = Int32(max(1, Int(optimal.rounded(.up))))
    var scratch = [Float](repeating: 0, count: Int(lwork))
    sgesvd_("A", "A", &m, &n, &work, &lda, &s, &u, &ldu, &vt, &ldvt, &scratch, &lwork, &info)
    guard info == 0 else { throw QuantizationError.linearAlgebraFailure(routine: "sgesvd", info: Int(info)) }
    return Tensor(shape: [d, d]) { out in
      vt.withUnsafeBufferPointer { q in
        u.withUnsafeBufferPointer { p in
          BLAS.sgemm(
            transA: false, transB: false, m: d, n: d, k: d, a: q.baseAddress!, b: p.baseAddress!, c: out.baseAddress!)
        }
      }
    }
  }

  /// The rotation R minimising `||X R^T - Y||_F` over orthogonal R, for X, Y of shape [n, D]:
  /// the polar factor of `Y^T X` (Schoenemann 1966).
  static func procrustes(from x: Tensor, to y: Tensor) throws -> Tensor {
    try polarFactor(matrixProduct(y, x, transposeA: true))
  }

  /// A uniformly distributed (Haar) random rotation: the polar factor of a Gaussian matrix, whose
  /// distribution is invariant under rotations on either side.
  static func random(dimension d: Int, seed: UInt64) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return try polarFactor(Tensor.randomNormal([d, d], using: &rng))
  }

  static func identity(_ d: Int) -> Tensor {
    Tensor(shape: [d, d]) { b in
      b.initialize(repeating: 0)
      for i in 0..<d { b[i * d + i] = 1 }
    }
  }

  /// Largest |(R R^T - I)_ij|.
  static func orthogonalityError(_ r: Tensor) throws -> Float {
    let p = try matrixProduct(r, r, transposeB: true)
    let d = r.shape[0]
    return p.withUnsafeBufferPointer { b in
      var worst: Float = 0
      for i in 0..<d { for j in 0..<d { worst = max(worst, abs(b[i * d + j] - (i == j ? 1 : 0))) } }
      return worst
    }
  }
}
