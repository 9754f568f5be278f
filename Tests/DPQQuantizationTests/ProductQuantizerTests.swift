import DPQTensor
import Testing

@testable import DPQQuantization

@Suite struct ProductQuantizerTests {
  static let (n, d, m, k) = (1_200, 24, 4, 32)

  func trained() throws -> (ProductQuantizer, Tensor) {
    let x = try TestData.blobs(Self.n, Self.d, clusters: 40, seed: 101)
    var pq = try ProductQuantizer(
      dimension: Self.d, subspaceCount: Self.m, codewordCount: Self.k, iterations: 15, seed: 7)
    try pq.train(x)
    return (pq, x)
  }

  /// decode puts, for each subspace, the chosen codeword into the subspace's columns.
  @Test func decodeEqualsCodewordsPickedByHand() throws {
    let (pq, x) = try trained()
    let codes = try pq.encode(x)
    #expect(codes.count == Self.n && codes.blockCount == Self.m && codes.codewordCount == Self.k)
    let y = try pq.decode(codes).scalars
    let books = try #require(pq.codebooks).scalars
    let ds = Self.d / Self.m
    for i in stride(from: 0, to: Self.n, by: 37) {
      for s in 0..<Self.m {
        let c = codes[i, s]
        let expected = books[(s * Self.k + c) * ds..<(s * Self.k + c + 1) * ds]
        #expect(Array(y[i * Self.d + s * ds..<i * Self.d + (s + 1) * ds]) == Array(expected))
      }
    }
  }

  /// Every sub-code is the nearest codeword of its subspace (brute force in Double; ties and
  /// rounding allowed at Float precision).
  @Test func encodeIsOptimalPerSubspace() throws {
    let (pq, _) = try trained()
    let held = try TestData.blobs(300, Self.d, clusters: 40, seed: 102)
    let codes = try pq.encode(held)
    let xs = held.scalars
    let books = try #require(pq.codebooks).scalars
    let ds = Self.d / Self.m
    for i in 0..<300 {
      for s in 0..<Self.m {
        let sub = xs[i * Self.d + s * ds..<i * Self.d + (s + 1) * ds]
        let dist = (0..<Self.k).map { c in
          TestData.distance(sub, books[(s * Self.k + c) * ds..<(s * Self.k + c + 1) * ds])
        }
        let best = dist.min()!
        #expect(dist[codes[i, s]] <= best + 1e-5 * max(1, best))
      }
    }
  }

  @Test func layoutAndCodeSize() throws {
    let (pq, _) = try trained()
    guard case .product(let books, let rotation) = try pq.layout else {
      Issue.record("expected a product layout")
      return
    }
    #expect(books.shape == [Self.m, Self.k, Self.d / Self.m])
    #expect(rotation == nil)
    #expect(pq.codeSizeBytes == 4 && pq.codeLengthBits == 20)
    let pq256 = try ProductQuantizer(dimension: 300, subspaceCount: 4)
    #expect(pq256.codeLengthBits == 32 && pq256.codeSizeBytes == 4)
  }

  @Test func errorsNameTheProblem() throws {
    let (pq, _) = try trained()
    let wrong = try TestData.gaussian(5, 20, seed: 1)
    #expect(throws: QuantizationError.dimensionMismatch(op: "PQ.encode", expected: 24, got: 20)) {
      try pq.encode(wrong)
    }
    let message = "\(QuantizationError.dimensionMismatch(op: "PQ.encode", expected: 24, got: 20))"
    #expect(message.contains("24") && message.contains("20"))
    #expect(throws: QuantizationError.dimensionNotDivisible(dimension: 300, subspaceCount: 7)) {
      try ProductQuantizer(dimension: 300, subspaceCount: 7)
    }
    #expect("\(QuantizationError.dimensionNotDivisible(dimension: 300, subspaceCount: 7))".contains("4, 5, 6"))
    let fresh = try ProductQuantizer(dimension: 24, subspaceCount: 4, codewordCount: 32)
    #expect(throws: QuantizationError.notTrained(quantizer: "PQ", op: "PQ.encode")) { try fresh.encode(wrong) }
    var small = fresh
    #expect(throws: QuantizationError.tooFewTrainingVectors(op: "PQ.train (K = 32)", needed: 32, got: 10)) {
      try small.train(try TestData.gaussian(10, 24, seed: 2))
    }
    let otherCodes = try Codes(count: 2, blockCount: 3, codewordCount: 32)
    #expect(
      throws: QuantizationError.codesMismatch(
        op: "PQ.decode", expectedBlocks: 4, expectedCodewords: 32, gotBlocks: 3, gotCodewords: 32)
    ) {
      try pq.decode(otherCodes)
    }
  }

  @Test func saveAndLoadGiveIdenticalCodes() throws {
    let (pq, x) = try trained()
    let loaded = try QuantizerLoader.load(configuration: pq.configuration, tensors: pq.stateTensors())
    #expect(loaded is ProductQuantizer)
    #expect(try loaded.encode(x) == pq.encode(x))
    let untrained = try QuantizerLoader.load(configuration: pq.configuration, tensors: [(String, Tensor)]())
    #expect(!untrained.isTrained)
    #expect(throws: QuantizationError.invalidState(name: "pq.codebooks", expected: [4, 32, 6], got: [4, 32, 5])) {
      try QuantizerLoader.load(
        configuration: pq.configuration, tensors: ["pq.codebooks": try Tensor.zeros([4, 32, 5])])
    }
    #expect(throws: QuantizationError.unknownQuantizerType("lsh")) {
      try QuantizerLoader.load(configuration: ["type": "lsh"], tensors: [String: Tensor]())
    }
  }

  /// Relative distortion is sum ||x - x_hat||^2 / sum ||x||^2, checked on a hand-made case:
  /// codewords that reproduce one row exactly and miss the other by a known amount.
  @Test func relativeDistortionHandComputed() throws {
    var pq = try ProductQuantizer(dimension: 2, subspaceCount: 1, codewordCount: 1, iterations: 0)
    // One codeword = the mean of the two rows (k-means with K = 1 and no iteration keeps the seed).
    let x = try Tensor([[1, 1], [3, 3]])
    try pq.train(x)
    let c = try #require(pq.codebooks).scalars // one of the rows, whichever k-means++ drew
    let errors = try pq.squaredErrors(x)
    let expected = c == [1, 1] ? [Float(0), 8] : [8, 0]
    #expect(errors == expected)
    #expect(try pq.relativeDistortion(x) == 8.0 / 20.0)
  }
}
