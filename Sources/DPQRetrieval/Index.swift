import DPQQuantization
import DPQTensor
import Foundation

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
public struct Index: Sendable {
  /// How codes map to vectors.
  public let layout: CodebookLayout
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
  /// Squared norms of the prefix reconstructions, one array per prefix length so that one code
  /// length is contiguous for the scan. For the product layout the norm is taken in the rotated
  /// space, where the codes live (equal to the original-space norm, since R is orthogonal).
  var prefixNorms: PrefixNorms

  /// Largest `||R R^T - I||_max` accepted for a rotation.
  public static let orthogonalityTolerance: Float = 1e-3

  /// An empty index over the given codebooks.
  public init(layout: CodebookLayout, metric: IndexMetric = .innerProduct) throws {
    let op = "Index"
    let books = layout.codebooks
    guard books.rank == 3, books.shape[0] > 0, books.shape[1] > 0, books.shape[2] > 0 else {
      throw RetrievalError.invalidShape(
        op: op, name: "codebooks", shape: books.shape,
        expected: layout.isAdditive ? "[M, K, D]" : "[M, K, D/M]")
    }
    let (m, k, d) = (books.shape[0], books.shape[1], books.shape[2])
    guard k <= 65_536 else {
      throw RetrievalError.invalidShape(
        op: op, name: "codebooks", shape: books.shape, expected: "K <= 65536 codewords per block")
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
        throw RetrievalError.invalidShape(
          op: op, name: "rotation", shape: r.shape, expected: "[\(dimension), \(dimension)] (D = M * D/M)")
      }
      guard r.withUnsafeBufferPointer({ $0.allSatisfy { $0.isFinite } }) else {
        throw RetrievalError.nonFinite(op: op, name: "rotation")
      }
      let deviation = Index.orthogonalityDeviation(r)
      guard deviation <= Index.orthogonalityTolerance else {
        throw RetrievalError.notOrthogonal(maxDeviation: deviation)
      }
    }
    self.layout = layout
    self.metric = metric
    codes = try Codes(count: 0, blockCount: m, codewordCount: k)
    prefixNorms = PrefixNorms(blockCount: m)
  }

  /// Number of items added (n).
  public var count: Int { codes.count }

  /// Bits per block: log2(K), fractional when K is not a power of two.
  public var bitsPerBlock: Double { Foundation.log2(Double(codewordCount)) }

  /// Appends the codes of `codes.count` items; they get ids `count ..< count + codes.count`.
  /// Amortised time proportional to the items added (codes and norms grow in place), so an index
  /// built in many calls costs no more than one built in a single call.
  public mutating func add(codes new: Codes) throws {
    guard new.blockCount == blockCount, new.codewordCount == codewordCount else {
      throw RetrievalError.codesMismatch(
        expectedBlocks: blockCount, expectedCodewords: codewordCount,
        gotBlocks: new.blockCount, gotCodewords: new.codewordCount)
    }
    let (old, added) = (codes.count, new.count)
    guard old + added <= Int(Int32.max) else {
      throw RetrievalError.invalidArgument(
        op: "add", reason: "an index holds at most \(Int32.max) items, got \(old + added)")
    }
    if added == 0 { return }
    try validateCodeValues(new)
    guard new.bytesPerCode == codes.bytesPerCode else {
      throw RetrievalError.invalidArgument(
        op: "add",
        reason: "codes store \(new.bytesPerCode)-byte values but the index stores \(codes.bytesPerCode)-byte values")
    }
    let newNorms = computePrefixNorms(new)
    try codes.append(new)
    prefixNorms.append(blockMajor: newNorms, added: added)
  }

  /// Reserves room for `items` items in total, so that adding up to that many never reallocates
  /// (and never holds an old and a new copy of the codes at once).
  public mutating func reserveCapacity(items: Int) {
    codes.reserveCapacity(items: items)
    prefixNorms.reserveCapacity(items: items)
  }

  /// Removes every item, keeping the codebooks.
  public mutating func reset() throws {
    codes = try Codes(count: 0, blockCount: blockCount, codewordCount: codewordCount)
    prefixNorms.removeAll()
  }

  /// Bytes the index holds in memory: codes, per-item prefix norms, codebooks and rotation.
  public var memoryBytes: (codes: Int, norms: Int, codebooks: Int) {
    let books = layout.codebooks.count + (layout.rotation?.count ?? 0)
    return (
      codes.count * codes.blockCount * codes.bytesPerCode, prefixNorms.byteCount, books * MemoryLayout<Float>.size
    )
  }

  /// Squared reconstruction norms `[n, M]`: entry (i, m-1) is `||sum_{j<=m} c_{j, b_ij}||^2`.
  public var reconstructionNorms: Tensor {
    let n = count
    let mk = blockCount
    return Tensor(shape: [n, mk]) { out in
      for i in 0..<n { for m in 0..<mk { out[i * mk + m] = prefixNorms[i, blocks: m + 1] } }
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
    guard !items.isEmpty else { return try Tensor.zeros([0, dimension]) }
    return try layout.decode(codes.rows(items), blocks: b, op: op)
  }

  // MARK: internals

  /// Validates an optional block count (nil = all blocks).
  func checkedBlocks(_ blocks: Int?, op: String) throws -> Int {
    let b = blocks ?? blockCount
    guard b >= 1 && b <= blockCount else {
      throw RetrievalError.blocksOutOfRange(op: op, blocks: b, blockCount: blockCount)
    }
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

  /// Block-major `[M][n]` squared prefix norms of the given codes (accumulated in Double), in
  /// chunks of items on every core: loading or adding 10 million items spends most of its time
  /// here. Each item's arithmetic is the same whatever the chunking, so the norms are too.
  private func computePrefixNorms(_ new: Codes) -> [Float] {
    var norms = [Float](repeating: 0, count: new.count * blockCount)
    norms.withUnsafeMutableBufferPointer { out in
      switch new.storage {
      case .uint8(let a): a.withUnsafeBufferPointer { fillPrefixNorms(codes: $0, count: new.count, into: out) }
      case .uint16(let a): a.withUnsafeBufferPointer { fillPrefixNorms(codes: $0, count: new.count, into: out) }
      }
    }
    return norms
  }

  private func fillPrefixNorms<C: FixedWidthInteger & UnsignedInteger>(
    codes: UnsafeBufferPointer<C>, count n: Int, into out: UnsafeMutableBufferPointer<Float>
  ) {
    let mk = blockCount
    let k = codewordCount
    let dc = codewordDimension
    let additive = layout.isAdditive
    layout.codebooks.withUnsafeBufferPointer { books in
      // Slices are disjoint in the product layout, so a prefix norm is a running sum of codeword norms.
      let codewordNorms: [Double] =
        additive
        ? []
        : (0..<(mk * k)).map { w in
          let c = books.baseAddress! + w * dc
          var s = 0.0
          for j in 0..<dc { s += Double(c[j]) * Double(c[j]) }
          return s
        }
      codewordNorms.withUnsafeBufferPointer { wordNorms in
        Parallel.forEachChunk(count: n, chunkSize: 16_384, makeScratch: { ScratchBuffer(capacity: 4 * dc) }) {
          range, scratch in
          let running = scratch.pointer
          if additive {
            var i = range.lowerBound
            while i < range.upperBound {
              let group = min(4, range.upperBound - i)
              Index.additivePrefixNorms(
                codes: codes.baseAddress! + i * mk, items: group, firstItem: i, itemCount: n,
                books: books.baseAddress!, blocks: mk, codewords: k, dimension: dc,
                running: running, out: out.baseAddress!)
              i += group
            }
          } else {
            for i in range {
              let code = codes.baseAddress! + i * mk
              var s = 0.0
              for m in 0..<mk {
                s += wordNorms[m * k + Int(code[m])]
                out[m * n + i] = Float(s)
              }
            }
          }
        }
      }
    }
  }

  /// Prefix norms of up to 4 consecutive items of the additive layout, side by side: each item's
  /// running sum (Float) and squared norm (Double, coordinates in order) are exactly those of
  /// one item alone, but four independent addition chains keep the core busy where one chain
  /// waits on each Double addition. Writes `out[m * itemCount + firstItem + t]`.
  @inline(__always)
  private static func additivePrefixNorms<C: FixedWidthInteger & UnsignedInteger>(
    codes: UnsafePointer<C>, items: Int, firstItem: Int, itemCount n: Int, books: UnsafePointer<Float>,
    blocks mk: Int, codewords k: Int, dimension dc: Int, running: UnsafeMutablePointer<Float>,
    out: UnsafeMutablePointer<Float>
  ) {
    running.initialize(repeating: 0, count: 4 * dc)
    let r0 = running
    let r1 = running + dc
    let r2 = running + 2 * dc
    let r3 = running + 3 * dc
    for m in 0..<mk {
      // Items past `items` repeat the last one; their results are not written.
      func word(_ t: Int) -> UnsafePointer<Float> { books + (m * k + Int(codes[min(t, items - 1) * mk + m])) * dc }
      let c0 = word(0)
      let c1 = word(1)
      let c2 = word(2)
      let c3 = word(3)
      var s0 = 0.0
      var s1 = 0.0
      var s2 = 0.0
      var s3 = 0.0
      for j in 0..<dc {
        r0[j] += c0[j]
        s0 += Double(r0[j]) * Double(r0[j])
        r1[j] += c1[j]
        s1 += Double(r1[j]) * Double(r1[j])
        r2[j] += c2[j]
        s2 += Double(r2[j]) * Double(r2[j])
        r3[j] += c3[j]
        s3 += Double(r3[j]) * Double(r3[j])
      }
      let row = out + m * n + firstItem
      row[0] = Float(s0)
      if items > 1 { row[1] = Float(s1) }
      if items > 2 { row[2] = Float(s2) }
      if items > 3 { row[3] = Float(s3) }
    }
  }

  /// `max |R R^T - I|`.
  static func orthogonalityDeviation(_ r: Tensor) -> Float {
    let d = r.shape[0]
    var product = [Float](repeating: 0, count: d * d)
    r.withUnsafeBufferPointer { p in
      product.withUnsafeMutableBufferPointer { c in
        BLAS.sgemm(
          transA: false, transB: true, m: d, n: d, k: d, a: p.baseAddress!, b: p.baseAddress!, c: c.baseAddress!)
      }
    }
    var worst: Float = 0
    for i in 0..<d { for j in 0..<d { worst = max(worst, abs(product[i * d + j] - (i == j ? 1 : 0))) } }
    return worst
  }
}
