import DPQTensor

/// Lookup tables: the M x K inner products between a query and every codeword, built for a whole
/// batch of queries with sgemm.
extension Index {
  /// The lookup tables `[blocks, K]` of one query: `T_m[k] = <q, c_{m,k}>`, on block m's slice of
  /// the rotated query `R q` for the product layout. These are the values the search adds up.
  public func lookupTable(query: [Float], blocks: Int? = nil) throws -> Tensor {
    try lookupTable(query: Tensor(query), blocks: blocks)
  }

  /// The lookup tables of one query given as a `[D]` or `[1, D]` tensor.
  public func lookupTable(query: Tensor, blocks: Int? = nil) throws -> Tensor {
    let op = "lookupTable"
    let b = try checkedBlocks(blocks, op: op)
    guard query.count == dimension, query.rank == 1 || (query.rank == 2 && query.shape[0] == 1) else {
      if query.rank >= 1, query.shape.last != dimension {
        throw RetrievalError.dimensionMismatch(op: op, expected: dimension, got: query.shape.last ?? 0)
      }
      throw RetrievalError.invalidShape(
        op: op, name: "query", shape: query.shape, expected: "[\(dimension)] or [1, \(dimension)]")
    }
    let q = try checkedQueries(query.reshaped([1, dimension]), op: op)
    let tables = q.withUnsafeBufferPointer { lookupTables(queries: $0.baseAddress!, count: 1) }
    let k = codewordCount
    return Tensor(shape: [b, k]) { out in for i in 0..<(b * k) { out[i] = tables[i] } }
  }

  /// Validates a query batch `[nq, D]` (a `[D]` vector counts as one query) and returns it as
  /// a rank-2 tensor.
  func checkedQueries(_ queries: Tensor, op: String) throws -> Tensor {
    var q = queries
    if q.rank == 1 { q = try q.reshaped([1, q.shape[0]]) }
    guard q.rank == 2 else {
      throw RetrievalError.invalidShape(op: op, name: "queries", shape: queries.shape, expected: "[nq, \(dimension)]")
    }
    guard q.shape[1] == dimension else {
      throw RetrievalError.dimensionMismatch(op: op, expected: dimension, got: q.shape[1])
    }
    guard q.withUnsafeBufferPointer({ $0.allSatisfy { $0.isFinite } }) else {
      throw RetrievalError.nonFinite(op: op, name: "queries")
    }
    return q
  }

  /// Lookup tables `[nq, M * K]` for `nq` row-major queries of dimension D: one sgemm against
  /// the flattened `[M * K, D]` codebooks (additive), or a rotation sgemm and one sgemm per
  /// slice writing into its column block (product).
  func lookupTables(queries: UnsafePointer<Float>, count nq: Int) -> [Float] {
    let mk = blockCount
    let k = codewordCount
    let d = dimension
    let dc = codewordDimension
    var tables = [Float](repeating: 0, count: nq * mk * k)
    // OpenBLAS is single-threaded in dpq (`Parallel`): its threaded products round differently,
    // and a query's scores must not depend on the thread count.
    layout.codebooks.withUnsafeBufferPointer { books in
      tables.withUnsafeMutableBufferPointer { t in
        switch layout {
        case .additive:
          BLAS.sgemm(
            transA: false, transB: true, m: nq, n: mk * k, k: d, a: queries, b: books.baseAddress!, c: t.baseAddress!)
        case .product(_, let rotation):
          let out = t.baseAddress!
          func sliceTables(_ y: UnsafePointer<Float>) {
            for m in 0..<mk {
              BLAS.sgemm(
                transA: false, transB: true, m: nq, n: k, k: dc, a: y + m * dc, lda: d,
                b: books.baseAddress! + m * k * dc, c: out + m * k, ldc: mk * k)
            }
          }
          if let r = rotation {
            let rotated = rotate(queries: queries, count: nq, rotation: r)
            rotated.withUnsafeBufferPointer { sliceTables($0.baseAddress!) }
          } else {
            sliceTables(queries)
          }
        }
      }
    }
    return tables
  }

  /// Squared norms of the queries in the space the codes live in (rotated for a product layout).
  func queryNorms(queries: UnsafePointer<Float>, count nq: Int) -> [Float] {
    let d = dimension
    let norms = { (y: UnsafePointer<Float>) -> [Float] in
      (0..<nq).map { i in
        var s = 0.0
        for j in 0..<d {
          let v = Double(y[i * d + j])
          s += v * v
        }
        return Float(s)
      }
    }
    if let r = layout.rotation {
      return rotate(queries: queries, count: nq, rotation: r).withUnsafeBufferPointer { norms($0.baseAddress!) }
    }
    return norms(queries)
  }

  /// `Y = Q R^T` (each rotated query is `R q`).
  private func rotate(queries: UnsafePointer<Float>, count nq: Int, rotation: Tensor) -> [Float] {
    let d = dimension
    var y = [Float](repeating: 0, count: nq * d)
    rotation.withUnsafeBufferPointer { r in
      y.withUnsafeMutableBufferPointer { out in
        BLAS.sgemm(transA: false, transB: true, m: nq, n: d, k: d, a: queries, b: r.baseAddress!, c: out.baseAddress!)
      }
    }
    return y
  }
}
