import Foundation
import DPQTensor

/// A searchable database of quantization codes: codebooks, codes (n x M) and each item's squared
/// reconstruction norm for every prefix length, in faiss's vocabulary (`add`, `search`,
/// `reconstruct`).
///
/// Scores use lookup tables: for a query q, `T_m[k] = <q, c_{m,k}>` (on block m's slice for the
/// product layout, after the rotation), so an item's inner product with q is `sum_m T_m[b_m]` and
/// its squared distance `||q||^2 - 2 sum_m T_m[b_m] + ||x_hat||^2`. Every prefix of m blocks is a
/// shorter code of the same model, so `blocks:` selects the code length (8 bits per block when
/// K = 256).
///
/// Ranking rule, everywhere: better score first; equal scores rank by database position, smaller
/// id first (`SearchResult.tieRule`).
public struct Index {
  /// How codes map to vectors.
  public let layout: IndexLayout
  /// How queries are scored.
  public let metric: IndexMetric
  /// Blocks per code (M).
  public let blockCount: Int
  /// Codewords per block (K).
  public let codewordCount: Int
  /// Vector dimension (D).
  public let dimension: Int
  /// Length of one codeword: D for the additive layout, D/M for the product layout.
  public let codewordDimension: Int
  /// The codes of every added item, in the order they were added (ids 0..<count).
  public private(set) var codes: Codes
  /// Squared norms of the prefix reconstructions, block-major `[M][n]` so that one prefix length
  /// is contiguous for the scan. For the product layout the norm is taken in the rotated space,
  /// where the codes live (equal to the original-space norm, since R is orthogonal).
  var prefixNorms: [Float] = []

  /// Largest `||R R^T - I||_max` accepted for a rotation.
  public static let orthogonalityTolerance: Float = 1e-3

  /// An empty index over the given codebooks.
  public init(layout: IndexLayout, metric: IndexMetric = .innerProduct) throws {
    let op = "Index"
    let books = layout.codebooks
    guard books.rank == 3, books.shape[0] > 0, books.shape[1] > 0, books.shape[2] > 0 else {
      throw RetrievalError.invalidShape(op: op, name: "codebooks", shape: books.shape,
                                        expected: layout.isAdditive ? "[M, K, D]" : "[M, K, D/M]")
    }
    let (m, k, d) = (books.shape[0], books.shape[1], books.shape[2])
    guard k <= 65_536 else {
      throw RetrievalError.invalidShape(op: op, name: "codebooks", shape: books.shape, expected: "K <= 65536 codewords per block")
    }
    guard books.withUnsafeBufferPointer({ $0.allSatisfy { $0.isFinite } }) else {
      throw RetrievalError.nonFinite(op: op, name: "codebooks")
    }
    blockCount = m
    codewordCount = k
    codewordDimension = d
    dimension = layout.isAdditive ? d : m * d
    if let r = layout.rotation {
      guard r.shape == [dimension, dimension] else {
        throw RetrievalError.invalidShape(op: op, name: "rotation", shape: r.shape, expected: "[\(dimension), \(dimension)] (D = M * D/M)")
      }
      guard r.withUnsafeBufferPointer({ $0.allSatisfy { $0.isFinite } }) else {
        throw RetrievalError.nonFinite(op: op, name: "rotation")
      }
      let deviation = Index.orthogonalityDeviation(r)
      guard deviation <= Index.orthogonalityTolerance else { throw RetrievalError.notOrthogonal(maxDeviation: deviation) }
    }
    self.layout = layout
    self.metric = metric
    codes = try Codes(count: 0, blockCount: m, codewordCount: k)
  }

  /// Number of items added (n).
  public var count: Int { codes.count }

  /// Bits per block: log2(K), fractional when K is not a power of two.
  public var bitsPerBlock: Double { Foundation.log2(Double(codewordCount)) }

  /// Appends the codes of `codes.count` items; they get ids `count ..< count + codes.count`.
  public mutating func add(codes new: Codes) throws {
    guard new.blockCount == blockCount, new.codewordCount == codewordCount else {
      throw RetrievalError.codesMismatch(expectedBlocks: blockCount, expectedCodewords: codewordCount,
                                         gotBlocks: new.blockCount, gotCodewords: new.codewordCount)
    }
    let (old, added) = (codes.count, new.count)
    guard old + added <= Int(Int32.max) else {
      throw RetrievalError.invalidArgument(op: "add", reason: "an index holds at most \(Int32.max) items, got \(old + added)")
    }
    if added == 0 { return }
    try validateCodeValues(new)
    var merged = try Codes(count: old + added, blockCount: blockCount, codewordCount: codewordCount)
    let mk = blockCount
    switch (codes.storage, new.storage) {
    case let (.uint8(a), .uint8(b)):
      _ = merged.withUnsafeMutableUInt8Buffer { out in
        for i in 0..<a.count { out[i] = a[i] }
        for i in 0..<b.count { out[old * mk + i] = b[i] }
      }
    case let (.uint16(a), .uint16(b)):
      _ = merged.withUnsafeMutableUInt16Buffer { out in
        for i in 0..<a.count { out[i] = a[i] }
        for i in 0..<b.count { out[old * mk + i] = b[i] }
      }
    default:
      throw RetrievalError.invalidArgument(op: "add", reason: "codes store \(new.bytesPerCode)-byte values but the index stores \(codes.bytesPerCode)-byte values")
    }
    let newNorms = computePrefixNorms(new)
    var norms = [Float](repeating: 0, count: (old + added) * blockCount)
    for m in 0..<blockCount {
      for i in 0..<old { norms[m * (old + added) + i] = prefixNorms[m * old + i] }
      for i in 0..<added { norms[m * (old + added) + old + i] = newNorms[m * added + i] }
    }
    codes = merged
    prefixNorms = norms
  }

  /// Removes every item, keeping the codebooks.
  public mutating func reset() throws {
    codes = try Codes(count: 0, blockCount: blockCount, codewordCount: codewordCount)
    prefixNorms = []
  }

  /// Squared reconstruction norms `[n, M]`: entry (i, m-1) is `||sum_{j<=m} c_{j, b_ij}||^2`.
  public var reconstructionNorms: Tensor {
    let n = count, mk = blockCount
    return prefixNorms.withUnsafeBufferPointer { src in
      Tensor(shape: [n, mk]) { out in
        for i in 0..<n { for m in 0..<mk { out[i * mk + m] = src[m * n + i] } }
      }
    }
  }

  /// The reconstruction of one item from its first `blocks` codes (all by default).
  public func reconstruct(_ item: Int, blocks: Int? = nil) throws -> [Float] {
    try reconstruct(items: [item], blocks: blocks).scalars
  }

  /// Reconstructions `[items.count, D]` of the given items from their first `blocks` codes.
  public func reconstruct(items: [Int], blocks: Int? = nil) throws -> Tensor {
    let op = "reconstruct"
    let b = try checkedBlocks(blocks, op: op)
    for i in items where i < 0 || i >= count { throw RetrievalError.itemOutOfRange(op: op, item: i, count: count) }
    let d = dimension, dc = codewordDimension, k = codewordCount
    var out = try Tensor.zeros([items.count, d])
    layout.codebooks.withUnsafeBufferPointer { books in
      out.withUnsafeMutableBufferPointer { x in
        for (r, item) in items.enumerated() {
          let row = x.baseAddress! + r * d
          for m in 0..<b {
            let c = books.baseAddress! + (m * k + codes[item, m]) * dc
            let target = layout.isAdditive ? row : row + m * dc
            for j in 0..<dc { target[j] += c[j] }
          }
        }
      }
    }
    guard let rotation = layout.rotation, !items.isEmpty else { return out }
    // x = R^T y for column vectors, i.e. X = Y R for row-major rows.
    return try Tensor.matmul(out, rotation)
  }

  // MARK: internals

  /// Validates an optional block count (nil = all blocks).
  func checkedBlocks(_ blocks: Int?, op: String) throws -> Int {
    let b = blocks ?? blockCount
    guard b >= 1 && b <= blockCount else { throw RetrievalError.blocksOutOfRange(op: op, blocks: b, blockCount: blockCount) }
    return b
  }

  private func validateCodeValues(_ new: Codes) throws {
    let k = codewordCount
    // Every stored value fits when K fills the storage width.
    if k == 256 || k == 65_536 { return }
    for i in 0..<new.count {
      for m in 0..<new.blockCount where new[i, m] >= k {
        throw RetrievalError.codeOutOfRange(item: i, block: m, code: new[i, m], codewordCount: k)
      }
    }
  }

  /// Block-major `[M][n]` squared prefix norms of the given codes (accumulated in Double).
  private func computePrefixNorms(_ new: Codes) -> [Float] {
    let n = new.count, mk = blockCount, k = codewordCount, dc = codewordDimension
    var norms = [Float](repeating: 0, count: n * mk)
    layout.codebooks.withUnsafeBufferPointer { books in
      if layout.isAdditive {
        var running = [Float](repeating: 0, count: dc)
        for i in 0..<n {
          for j in 0..<dc { running[j] = 0 }
          for m in 0..<mk {
            let c = books.baseAddress! + (m * k + new[i, m]) * dc
            var s = 0.0
            for j in 0..<dc { running[j] += c[j]; s += Double(running[j]) * Double(running[j]) }
            norms[m * n + i] = Float(s)
          }
        }
      } else {
        // Slices are disjoint, so a prefix norm is a running sum of codeword norms.
        var codewordNorms = [Double](repeating: 0, count: mk * k)
        for w in 0..<(mk * k) {
          let c = books.baseAddress! + w * dc
          var s = 0.0
          for j in 0..<dc { s += Double(c[j]) * Double(c[j]) }
          codewordNorms[w] = s
        }
        for i in 0..<n {
          var s = 0.0
          for m in 0..<mk { s += codewordNorms[m * k + new[i, m]]; norms[m * n + i] = Float(s) }
        }
      }
    }
    return norms
  }

  /// `max |R R^T - I|`.
  static func orthogonalityDeviation(_ r: Tensor) -> Float {
    let d = r.shape[0]
    var product = [Float](repeating: 0, count: d * d)
    r.withUnsafeBufferPointer { p in
      product.withUnsafeMutableBufferPointer { c in
        BLAS.sgemm(transA: false, transB: true, m: d, n: d, k: d, a: p.baseAddress!, b: p.baseAddress!, c: c.baseAddress!)
      }
    }
    var worst: Float = 0
    for i in 0..<d { for j in 0..<d { worst = max(worst, abs(product[i * d + j] - (i == j ? 1 : 0))) } }
    return worst
  }
}
