import COpenBLAS
import DPQTensor

/// Principal component analysis: the directions of largest variance of a set of row vectors.
///
/// Up to 512 dimensions the covariance matrix is formed with one sgemm and diagonalised exactly
/// (LAPACK ssyevd). Above that, a randomized subspace iteration (Halko, Martinsson and Tropp
/// 2011) works on the data directly, so the cost stays O(n d k) instead of O(n d^2).
public struct PCA: Equatable {
  /// Mean of the fitted rows (D values).
  public let mean: [Float]
  /// Principal directions, one unit vector per row, largest variance first: shape [k, D].
  public let components: Tensor
  /// Variance along each component (eigenvalues of the covariance, divisor n - 1).
  public let explainedVariance: [Float]
  /// Total variance of the data (trace of the covariance), for the share each component explains.
  public let totalVariance: Float

  /// Dimensions up to which the covariance is diagonalised exactly.
  static let exactLimit = 512

  /// Fits `componentCount` components to the rows of `x` ([n, D], n >= 2). `seed` drives the
  /// random start of the subspace iteration used above 512 dimensions.
  public static func fit(_ x: Tensor, componentCount: Int = 2, seed: UInt64 = 0) throws -> PCA {
    let function = "PCA.fit"
    guard x.rank == 2 else {
      throw PlotError.invalidArgument(function: function, reason: "expected [n, D] data, got shape \(x.shape)")
    }
    let n = x.shape[0]
    let d = x.shape[1]
    guard n >= 2, d >= 1 else {
      throw PlotError.invalidArgument(
        function: function, reason: "need at least 2 rows and 1 column, got shape \(x.shape)")
    }
    guard componentCount >= 1, componentCount <= min(d, n) else {
      throw PlotError.invalidArgument(
        function: function, reason: "componentCount \(componentCount) must be in 1...\(min(d, n))")
    }
    if x.withUnsafeBufferPointer({ $0.contains { !$0.isFinite } }) {
      throw PlotError.invalidArgument(function: function, reason: "the data contain NaN or infinite values")
    }
    let mean = columnMeans(x)
    var centered = [Float](repeating: 0, count: n * d)
    x.withUnsafeBufferPointer { src in
      centered.withUnsafeMutableBufferPointer { dst in
        for i in 0..<n { for j in 0..<d { dst[i * d + j] = src[i * d + j] - mean[j] } }
      }
    }
    let (vectors, values) =
      d <= exactLimit
      ? try exactComponents(centered, n: n, d: d, k: componentCount)
      : try randomizedComponents(centered, n: n, d: d, k: componentCount, seed: seed)
    // Fix each direction's sign (largest entry positive) so results do not flip between runs.
    var oriented = vectors
    for c in 0..<componentCount {
      var best = 0
      for j in 0..<d where abs(oriented[c * d + j]) > abs(oriented[c * d + best]) { best = j }
      if oriented[c * d + best] < 0 { for j in 0..<d { oriented[c * d + j] = -oriented[c * d + j] } }
    }
    var total = 0.0
    centered.withUnsafeBufferPointer { c in for v in c { total += Double(v) * Double(v) } }
    return PCA(
      mean: mean, components: try Tensor(shape: [componentCount, d], scalars: oriented),
      explainedVariance: values, totalVariance: Float(total / Double(n - 1)))
  }

  /// Coordinates of the rows of `x` ([m, D]) along the components: shape [m, k].
  public func transform(_ x: Tensor) throws -> Tensor {
    let d = mean.count
    let k = components.shape[0]
    guard x.rank == 2, x.shape[1] == d else {
      throw PlotError.invalidArgument(
        function: "PCA.transform", reason: "expected [m, \(d)] data, got shape \(x.shape)")
    }
    let m = x.shape[0]
    // (x - mean) C^T = x C^T - mean C^T: no centred copy of x needed.
    var shift = [Float](repeating: 0, count: k)
    components.withUnsafeBufferPointer { c in
      for r in 0..<k {
        var s: Float = 0
        for j in 0..<d { s += mean[j] * c[r * d + j] }
        shift[r] = s
      }
    }
    return x.withUnsafeBufferPointer { xs in
      components.withUnsafeBufferPointer { c in
        Tensor(shape: [m, k]) { out in
          guard m > 0 else { return }
          BLAS.sgemm(
            transA: false, transB: true, m: m, n: k, k: d, a: xs.baseAddress!, b: c.baseAddress!, c: out.baseAddress!)
          for i in 0..<m { for r in 0..<k { out[i * k + r] -= shift[r] } }
        }
      }
    }
  }

  static func columnMeans(_ x: Tensor) -> [Float] {
    let n = x.shape[0]
    let d = x.shape[1]
    var sums = [Double](repeating: 0, count: d)
    x.withUnsafeBufferPointer { p in
      for i in 0..<n { for j in 0..<d { sums[j] += Double(p[i * d + j]) } }
    }
    return sums.map { Float($0 / Double(n)) }
  }

  /// Top-k eigenvectors (rows) and eigenvalues of the covariance of centred data.
  static func exactComponents(_ centered: [Float], n: Int, d: Int, k: Int) throws -> ([Float], [Float]) {
    var covariance = [Float](repeating: 0, count: d * d)
    centered.withUnsafeBufferPointer { a in
      covariance.withUnsafeMutableBufferPointer { c in
        BLAS.sgemm(
          transA: true, transB: false, m: d, n: d, k: n, alpha: 1 / Float(n - 1),
          a: a.baseAddress!, b: a.baseAddress!, c: c.baseAddress!)
      }
    }
    let (vectors, values) = try symmetricEigen(&covariance, dimension: d)
    return topRows(vectors, values, dimension: d, count: k)
  }

  /// Randomized subspace iteration: an orthonormal basis Q ([l, D], l = k + 10) of the dominant
  /// row space of the data, then the exact eigenproblem of the covariance restricted to Q.
  static func randomizedComponents(_ centered: [Float], n: Int, d: Int, k: Int, seed: UInt64) throws -> (
    [Float], [Float]
  ) {
    let l = min(k + 10, d, n)
    var rng = RandomGenerator(seed: seed)
    var basis = (0..<(l * d)).map { _ in rng.nextNormal() } // [l, D]
    var projected = [Float](repeating: 0, count: l * n) // [l, n]
    orthonormalizeRows(&basis, rows: l, length: d)
    centered.withUnsafeBufferPointer { x in
      for _ in 0..<8 {
        basis.withUnsafeBufferPointer { q in
          projected.withUnsafeMutableBufferPointer { y in
            BLAS.sgemm(
              transA: false, transB: true, m: l, n: n, k: d, a: q.baseAddress!, b: x.baseAddress!, c: y.baseAddress!)
          }
        }
        orthonormalizeRows(&projected, rows: l, length: n)
        projected.withUnsafeBufferPointer { y in
          basis.withUnsafeMutableBufferPointer { q in
            BLAS.sgemm(
              transA: false, transB: false, m: l, n: d, k: n, a: y.baseAddress!, b: x.baseAddress!, c: q.baseAddress!)
          }
        }
        orthonormalizeRows(&basis, rows: l, length: d)
      }
      // B = Q X^T X Q^T / (n - 1), an l x l symmetric matrix.
      basis.withUnsafeBufferPointer { q in
        projected.withUnsafeMutableBufferPointer { y in
          BLAS.sgemm(
            transA: false, transB: true, m: l, n: n, k: d, a: q.baseAddress!, b: x.baseAddress!, c: y.baseAddress!)
        }
      }
    }
    var small = [Float](repeating: 0, count: l * l)
    projected.withUnsafeBufferPointer { y in
      small.withUnsafeMutableBufferPointer { b in
        BLAS.sgemm(
          transA: false, transB: true, m: l, n: l, k: n, alpha: 1 / Float(n - 1),
          a: y.baseAddress!, b: y.baseAddress!, c: b.baseAddress!)
      }
    }
    let (smallVectors, values) = try symmetricEigen(&small, dimension: l)
    let (top, topValues) = topRows(smallVectors, values, dimension: l, count: k)
    var vectors = [Float](repeating: 0, count: k * d)
    top.withUnsafeBufferPointer { v in
      basis.withUnsafeBufferPointer { q in
        vectors.withUnsafeMutableBufferPointer { out in
          BLAS.sgemm(
            transA: false, transB: false, m: k, n: d, k: l, a: v.baseAddress!, b: q.baseAddress!, c: out.baseAddress!)
        }
      }
    }
    return (vectors, topValues)
  }

  /// Eigen-decomposition of a symmetric matrix with LAPACK ssyevd. Eigenvalues come back
  /// ascending; eigenvector j is the contiguous j-th row of the returned buffer (LAPACK's
  /// column-major columns).
  static func symmetricEigen(_ matrix: inout [Float], dimension d: Int) throws -> ([Float], [Float]) {
    var jobz = CChar(UInt8(ascii: "V"))
    var uplo = CChar(UInt8(ascii: "U"))
    var n = Int32(d)
    var lda = Int32(d)
    var info: Int32 = 0
    var values = [Float](repeating: 0, count: d)
    var workSize: Float = 0
    var iworkSize: Int32 = 0
    var query: Int32 = -1
    BLAS.takeOver() // OpenBLAS single-threaded, as everywhere in dpq (`Parallel`)
    ssyevd_(&jobz, &uplo, &n, &matrix, &lda, &values, &workSize, &query, &iworkSize, &query, &info)
    guard info == 0 else {
      throw PlotError.invalidArgument(function: "PCA", reason: "LAPACK ssyevd workspace query failed (info \(info))")
    }
    var lwork = Int32(workSize.rounded(.up))
    var liwork = iworkSize
    var work = [Float](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(liwork))
    ssyevd_(&jobz, &uplo, &n, &matrix, &lda, &values, &work, &lwork, &iwork, &liwork, &info)
    guard info == 0 else {
      throw PlotError.invalidArgument(function: "PCA", reason: "LAPACK ssyevd did not converge (info \(info))")
    }
    return (matrix, values)
  }

  static func topRows(_ vectors: [Float], _ values: [Float], dimension d: Int, count k: Int) -> ([Float], [Float]) {
    var rows: [Float] = []
    rows.reserveCapacity(k * d)
    var top: [Float] = []
    for r in 0..<k {
      let j = d - 1 - r
      rows.append(contentsOf: vectors[(j * d)..<((j + 1) * d)])
      top.append(max(values[j], 0))
    }
    return (rows, top)
  }

  /// Modified Gram-Schmidt on contiguous rows; a row that vanishes is replaced by a unit vector
  /// orthogonal to the earlier ones (cannot happen for data of full rank, kept for safety).
  static func orthonormalizeRows(_ a: inout [Float], rows: Int, length: Int) {
    a.withUnsafeMutableBufferPointer { p in
      for r in 0..<rows {
        for s in 0..<r {
          var dot: Float = 0
          for j in 0..<length { dot += p[r * length + j] * p[s * length + j] }
          for j in 0..<length { p[r * length + j] -= dot * p[s * length + j] }
        }
        var norm: Float = 0
        for j in 0..<length { norm += p[r * length + j] * p[r * length + j] }
        norm = norm.squareRoot()
        if norm > 1e-20 {
          for j in 0..<length { p[r * length + j] /= norm }
        } else {
          for j in 0..<length { p[r * length + j] = j == r % length ? 1 : 0 }
        }
      }
    }
  }
}
