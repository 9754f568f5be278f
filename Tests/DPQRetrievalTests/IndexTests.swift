import DPQTensor
import Testing

@testable import DPQRetrieval

@Suite struct IndexTests {
  @Test func additiveReconstructionIsTheSumOfCodewords() throws {
    // M = 2, K = 2, D = 2: c_{0,0} = (1, 0), c_{0,1} = (0, 1), c_{1,0} = (2, 2), c_{1,1} = (-1, 3)
    let books = try Tensor(shape: [2, 2, 2], scalars: [1, 0, 0, 1, 2, 2, -1, 3])
    var index = try Index(layout: .additive(codebooks: books), metric: .squaredL2)
    try index.add(codes: Codes(count: 2, blockCount: 2, codewordCount: 2, values: [0, 1, 1, 0]))
    #expect(index.count == 2 && index.dimension == 2)
    #expect(try index.reconstruct(0) == [0, 3]) // (1,0) + (-1,3)
    #expect(try index.reconstruct(1, blocks: 1) == [0, 1]) // first block only
    #expect(try index.reconstruct(items: [1, 0]).scalars == [2, 3, 0, 3])
    // prefix norms: item 0: ||(1,0)||^2 = 1, ||(0,3)||^2 = 9; item 1: ||(0,1)||^2 = 1, ||(2,3)||^2 = 13
    #expect(index.reconstructionNorms.scalars == [1, 9, 1, 13])
  }

  @Test func productReconstructionFillsSlicesAndRotatesBack() throws {
    var rng = RandomGenerator(seed: 5)
    let books = try Tensor.randomNormal([3, 4, 2], using: &rng)
    let r = try Fixture.orthogonal(6, rng: &rng)
    var plain = try Index(layout: .product(codebooks: books, rotation: nil))
    var rotated = try Index(layout: .product(codebooks: books, rotation: r))
    let codes = try Codes(count: 1, blockCount: 3, codewordCount: 4, values: [2, 0, 3])
    try plain.add(codes: codes)
    try rotated.add(codes: codes)
    let y = try plain.reconstruct(0)
    let b = books.scalars
    #expect(
      y
        == Array(
          b[(0 * 4 + 2) * 2..<(0 * 4 + 2) * 2 + 2] + b[(1 * 4 + 0) * 2..<(1 * 4 + 0) * 2 + 2]
            + b[(2 * 4 + 3) * 2..<(2 * 4 + 3) * 2 + 2]))
    #expect(try plain.reconstruct(0, blocks: 1).suffix(4) == [0, 0, 0, 0])
    // x = R^T y: x_j = sum_i R[i][j] y_i
    let x = try rotated.reconstruct(0)
    let rs = r.scalars
    for j in 0..<6 {
      let expected = (0..<6).reduce(Float(0)) { $0 + rs[$1 * 6 + j] * y[$1] }
      #expect(abs(x[j] - expected) < 1e-5)
    }
  }

  @Test func addAppendsAndKeepsIds() throws {
    var index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 10)
    let first = try index.reconstruct(items: Array(0..<10))
    var rng = RandomGenerator(seed: 8)
    let more = try Fixture.randomCodes(n: 5, blocks: 4, codewords: 16, rng: &rng)
    try index.add(codes: more)
    #expect(index.count == 15)
    #expect(try index.reconstruct(items: Array(0..<10)) == first)
    #expect(index.codes[12, 3] == more[2, 3])
    let norms = index.reconstructionNorms.scalars
    let x = try index.reconstruct(12, blocks: 2)
    #expect(abs(norms[12 * 4 + 1] - x.reduce(0) { $0 + $1 * $1 }) < 1e-4)
  }

  @Test func lookupTableHoldsInnerProductsWithCodewords() throws {
    for layout in Fixture.Layout.allCases {
      let index = try Fixture.index(layout: layout, metric: .innerProduct)
      let q = try Fixture.queries(1, dimension: 12).scalars
      let table = try index.lookupTable(query: q, blocks: 3)
      #expect(table.shape == [3, 16])
      // Rotated query R q, then per-slice dot products.
      var y = q
      if let r = index.layout.rotation?.scalars {
        y = (0..<12).map { i in (0..<12).reduce(Float(0)) { $0 + r[i * 12 + $1] * q[$1] } }
      }
      let books = index.layout.codebooks.scalars
      let dc = index.codewordDimension
      for m in 0..<3 {
        for k in 0..<16 {
          let offset = index.layout.isAdditive ? 0 : m * dc
          let dot = (0..<dc).reduce(Float(0)) { $0 + y[offset + $1] * books[(m * 16 + k) * dc + $1] }
          #expect(abs(try table.value(at: [m, k]) - dot) < 1e-4, "\(layout) m=\(m) k=\(k)")
        }
      }
    }
  }

  @Test func badConstructionThrowsClearly() throws {
    var rng = RandomGenerator(seed: 2)
    let flat = try Tensor.randomNormal([4, 16], using: &rng)
    #expect(throws: RetrievalError.invalidShape(op: "Index", name: "codebooks", shape: [4, 16], expected: "[M, K, D]"))
    {
      try Index(layout: .additive(codebooks: flat))
    }
    let books = try Tensor.randomNormal([2, 4, 3], using: &rng)
    let wrongRotation = try Tensor.randomNormal([5, 5], using: &rng)
    #expect(
      throws: RetrievalError.invalidShape(
        op: "Index", name: "rotation", shape: [5, 5], expected: "[6, 6] (D = M * D/M)")
    ) {
      try Index(layout: .product(codebooks: books, rotation: wrongRotation))
    }
    let notOrthogonal = try Tensor.randomNormal([6, 6], using: &rng)
    #expect {
      try Index(layout: .product(codebooks: books, rotation: notOrthogonal))
    } throws: { error in
      guard case RetrievalError.notOrthogonal = error else { return false }
      return "\(error)".contains("orthogonal")
    }
    var bad = books
    try bad.setValue(.nan, at: [0, 0, 0])
    #expect(throws: RetrievalError.nonFinite(op: "Index", name: "codebooks")) {
      try Index(layout: .additive(codebooks: bad))
    }
  }

  @Test func badCodesAndItemsThrowClearly() throws {
    var index = try Fixture.index(layout: .additive, metric: .innerProduct, n: 5)
    #expect(
      throws: RetrievalError.codesMismatch(expectedBlocks: 4, expectedCodewords: 16, gotBlocks: 3, gotCodewords: 16)
    ) {
      try index.add(codes: Codes(count: 1, blockCount: 3, codewordCount: 16))
    }
    // A code >= K written through the raw buffer is refused before it can index past a table.
    var raw = try Codes(count: 2, blockCount: 4, codewordCount: 16)
    _ = raw.withUnsafeMutableUInt8Buffer { $0[6] = 200 }
    #expect(throws: RetrievalError.codeOutOfRange(item: 1, block: 2, code: 200, codewordCount: 16)) {
      try index.add(codes: raw)
    }
    #expect(index.count == 5)
    #expect(throws: RetrievalError.itemOutOfRange(op: "reconstruct", item: 5, count: 5)) { try index.reconstruct(5) }
    #expect(throws: RetrievalError.blocksOutOfRange(op: "reconstruct", blocks: 5, blockCount: 4)) {
      try index.reconstruct(0, blocks: 5)
    }
    #expect(throws: RetrievalError.dimensionMismatch(op: "lookupTable", expected: 12, got: 3)) {
      try index.lookupTable(query: [1, 2, 3])
    }
    let message = "\(RetrievalError.dimensionMismatch(op: "search", expected: 12, got: 3))"
    #expect(message.contains("[nq, 12]"))
  }
}
