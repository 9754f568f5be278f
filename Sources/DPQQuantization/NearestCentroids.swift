import DPQTensor

/// Nearest-centroid search: for a chunk of rows, ONE sgemm gives `-2 x c^T` for every pair, the
/// squared norms complete `||x||^2 - 2 x.c + ||c||^2`, and a tight loop takes the argmin.
/// k-means assignment, PQ encoding (per subspace, through the row stride) and RQ's greedy step
/// all run through here.
struct NearestCentroids {
  /// Centroids [k, d], contiguous.
  let centroids: UnsafePointer<Float>
  /// Squared norms of the centroids [k].
  let norms: UnsafePointer<Float>
  let k: Int
  let d: Int

  /// Rows per chunk so that a chunk's k distances stay near 1 MiB.
  static func rowsPerChunk(k: Int) -> Int { max(16, min(1024, (1 << 18) / max(1, k))) }

  /// Squared norms of `count` rows of length `d` (row stride `ld`).
  static func squaredNorms(_ p: UnsafePointer<Float>, count: Int, d: Int, ld: Int) -> [Float] {
    (0..<count).map { i in
      squaredNorm(p + i * ld, d)
    }
  }

  /// Assigns `rows` rows of `x` (row stride `ldx`): `labels[i * labelStride]` gets the nearest
  /// centroid (lowest index on ties) and `distances[i]`, when given, its squared distance:
  /// computed exactly from the difference when `exact`, else from the norm expansion (clamped
  /// at 0). `scratch` holds at least `rows * k` floats.
  func assign(
    x: UnsafePointer<Float>, ldx: Int, rows: Int, scratch: UnsafeMutablePointer<Float>,
    labels: UnsafeMutablePointer<Int32>, labelStride: Int,
    distances: UnsafeMutablePointer<Float>?, exact: Bool
  ) {
    guard rows > 0 else { return }
    BLAS.sgemm(
      transA: false, transB: true, m: rows, n: k, k: d, alpha: -2, a: x, lda: ldx,
      b: centroids, ldb: d, beta: 0, c: scratch, ldc: k)
    for i in 0..<rows {
      let row = scratch + i * k
      var best = row[0] + norms[0]
      var arg = 0
      for j in 1..<max(1, k) {
        let v = row[j] + norms[j]
        if v < best {
          best = v
          arg = j
        }
      }
      labels[i * labelStride] = Int32(arg)
      guard let distances else { continue }
      let xi = x + i * ldx
      if exact {
        distances[i] = squaredDistance(xi, centroids + arg * d, d)
      } else {
        distances[i] = max(0, squaredNorm(xi, d) + best)
      }
    }
  }

  /// `assign` over all `n` rows, chunked over every core.
  func assignAll(
    x: UnsafePointer<Float>, ldx: Int, n: Int, labels: UnsafeMutablePointer<Int32>, labelStride: Int,
    distances: UnsafeMutablePointer<Float>?, exact: Bool
  ) {
    let chunk = NearestCentroids.rowsPerChunk(k: k)
    Parallel.forEachChunk(
      count: n, chunkSize: chunk, makeScratch: { ScratchBuffer(capacity: chunk * k) },
      { rows, scratch in
        assign(
          x: x + rows.lowerBound * ldx, ldx: ldx, rows: rows.count, scratch: scratch.reserve(rows.count * k),
          labels: labels + rows.lowerBound * labelStride, labelStride: labelStride,
          distances: distances.map { $0 + rows.lowerBound }, exact: exact)
      })
  }
}

extension Tensor {
  /// Nearest rows of `centroids` ([k, d]) for every row of `self` ([n, d]), with squared
  /// distances (lowest index on ties). The building block of k-means and of every encoder here.
  public func nearestRows(of centroids: Tensor) throws -> (labels: [Int], squaredDistances: [Float]) {
    guard rank == 2, centroids.rank == 2, shape[1] == centroids.shape[1], centroids.shape[0] > 0 else {
      throw QuantizationError.invalidShape(
        op: "nearestRows", shape: centroids.shape,
        expected: "centroids [k > 0, \(rank == 2 ? shape[1] : -1)] for rows of shape \(formatShape(shape))")
    }
    let n = shape[0]
    let d = shape[1]
    let k = centroids.shape[0]
    if n == 0 { return ([], []) }
    var labels = [Int32](repeating: 0, count: n)
    var dist = [Float](repeating: 0, count: n)
    withUnsafeBufferPointer { xb in
      centroids.withUnsafeBufferPointer { cb in
        let norms = NearestCentroids.squaredNorms(cb.baseAddress!, count: k, d: d, ld: d)
        norms.withUnsafeBufferPointer { nb in
          let search = NearestCentroids(centroids: cb.baseAddress!, norms: nb.baseAddress!, k: k, d: d)
          labels.withUnsafeMutableBufferPointer { lb in
            dist.withUnsafeMutableBufferPointer { db in
              search.assignAll(
                x: xb.baseAddress!, ldx: d, n: n, labels: lb.baseAddress!, labelStride: 1,
                distances: db.baseAddress!, exact: true)
            }
          }
        }
      }
    }
    return (labels.map(Int.init), dist)
  }
}
