import DPQTensor
import Foundation
import Testing

@testable import DPQRetrieval

/// Building an index in many `add` calls (the path of a database encoded chunk by chunk) gives
/// the same index as one call, and index files move codes as raw bytes both ways.
@Suite struct IncrementalAddTests {
  @Test(arguments: Fixture.Layout.allCases)
  func manyAddsEqualOneAdd(layout: Fixture.Layout) throws {
    let whole = try Fixture.index(layout: layout, metric: .squaredL2, n: 1_000)
    var pieces = try Index(layout: whole.layout, metric: .squaredL2)
    pieces.reserveCapacity(items: 600) // less than the total: adding past it must still work
    var start = 0
    for size in [1, 250, 0, 333, 416] {
      try pieces.add(codes: whole.codes.rows(Array(start..<start + size)))
      start += size
    }
    #expect(start == whole.count)
    #expect(pieces.codes == whole.codes)
    #expect(pieces.prefixNorms == whole.prefixNorms)
    let q = try Fixture.queries(7, dimension: whole.dimension)
    let a = try whole.search(queries: q, k: 50)
    let b = try pieces.search(queries: q, k: 50)
    #expect(a.ids == b.ids && a.scores == b.scores)
  }

  /// The norms the scan uses are, bit for bit, the one-item-at-a-time loop dpq has always run
  /// (a Float running sum, squared and summed in Double in coordinate order), whatever the
  /// grouping of items into chunks, groups of four and threads; so every score and mAP stays.
  @Test(arguments: [5, 4_099, 40_001])
  func additiveNormsEqualTheOneItemLoop(items n: Int) throws {
    var rng = RandomGenerator(seed: 8)
    let (m, k, d) = (4, 32, 37)
    let books = try Tensor.randomNormal([m, k, d], using: &rng)
    var index = try Index(layout: .additive(codebooks: books), metric: .squaredL2)
    let codes = try Fixture.randomCodes(n: n, blocks: m, codewords: k, rng: &rng)
    try index.add(codes: codes)
    let c = books.scalars
    for i in Swift.stride(from: 0, to: n, by: max(1, n / 500)) {
      var running = [Float](repeating: 0, count: d)
      for b in 0..<m {
        var s = 0.0
        for j in 0..<d {
          running[j] += c[(b * k + codes[i, b]) * d + j]
          s += Double(running[j]) * Double(running[j])
        }
        #expect(index.prefixNorms[i, blocks: b + 1].bitPattern == Float(s).bitPattern, "item \(i), block \(b)")
      }
    }
  }

  @Test func aCopyKeepsItsItemsWhenTheOriginalGrows() throws {
    var original = try Fixture.index(layout: .additive, metric: .squaredL2, n: 100)
    let copy = original
    try original.add(codes: copy.codes)
    #expect(original.count == 200 && copy.count == 100)
    #expect(copy.prefixNorms.count == 100 && original.prefixNorms.count == 200)
  }

  @Test func memoryIsCodesNormsAndCodebooks() throws {
    let index = try Fixture.index(
      layout: .rotatedProduct, metric: .innerProduct, n: 300, blocks: 4, codewords: 16, dimension: 12)
    let bytes = index.memoryBytes
    #expect(bytes.codes == 300 * 4) // one byte per block
    #expect(bytes.norms == 300 * 4 * 4) // a Float per item and prefix length
    #expect(bytes.codebooks == (4 * 16 * 3 + 12 * 12) * 4)
  }

  @Test(arguments: [16, 300, 65_536])
  func codesRoundTripThroughLittleEndianBytes(codewords k: Int) throws {
    var rng = RandomGenerator(seed: 3)
    let codes = try Fixture.randomCodes(n: 50, blocks: 3, codewords: k, rng: &rng)
    let bytes = codes.littleEndianBytes
    #expect(bytes.count == 50 * 3 * (k <= 256 ? 1 : 2))
    #expect(try Codes(count: 50, blockCount: 3, codewordCount: k, littleEndianBytes: bytes) == codes)
    var appended = try Codes(count: 0, blockCount: 3, codewordCount: k)
    try appended.append(codes.rows(Array(0..<20)))
    try appended.append(codes.rows(Array(20..<50)))
    #expect(appended == codes)
  }

  @Test func badBytesAndMismatchedCodesAreRefused() throws {
    #expect(throws: TensorError.self) {
      try Codes(count: 2, blockCount: 2, codewordCount: 16, littleEndianBytes: [1, 2, 3])
    }
    #expect(throws: TensorError.self) {
      try Codes(count: 1, blockCount: 2, codewordCount: 16, littleEndianBytes: [1, 16])
    }
    var a = try Codes(count: 1, blockCount: 2, codewordCount: 16)
    #expect(throws: TensorError.self) { try a.append(Codes(count: 1, blockCount: 3, codewordCount: 16)) }
  }

  @Test func savedFilesLoadWithIdenticalSearches() throws {
    let dir = NSTemporaryDirectory() + "dpq-incremental-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for layout in Fixture.Layout.allCases {
      let index = try Fixture.index(layout: layout, metric: .squaredL2, n: 500, codewords: 300) // 2-byte codes
      let path = dir + "/\(layout).safetensors"
      try index.save(to: path)
      let loaded = try Index.load(from: path)
      #expect(loaded.codes == index.codes)
      let q = try Fixture.queries(5, dimension: index.dimension)
      #expect(try loaded.search(queries: q, k: 20).ids == index.search(queries: q, k: 20).ids)
    }
  }
}
