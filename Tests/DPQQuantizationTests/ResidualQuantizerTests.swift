import DPQTensor
import Testing

@testable import DPQQuantization

@Suite struct ResidualQuantizerTests {
  static let (d, m, k) = (16, 4, 32)

  func trained(beam: Int = 1) throws -> (ResidualQuantizer, Tensor) {
    let x = try TestData.rotatedAnisotropic(2_000, Self.d, seed: 301)
    var rq = try ResidualQuantizer(
      dimension: Self.d, blockCount: Self.m, codewordCount: Self.k, beamWidth: beam, iterations: 15, seed: 3)
    try rq.train(x)
    return (rq, x)
  }

  /// decode sums, per block, the codeword the code names.
  @Test func decodeEqualsSumOfCodewordsPickedByHand() throws {
    let (rq, x) = try trained()
    let codes = try rq.encode(x)
    let y = try rq.decode(codes).scalars
    guard case .additive(let books) = try rq.layout else {
      Issue.record("expected an additive layout")
      return
    }
    #expect(books.shape == [Self.m, Self.k, Self.d])
    let b = books.scalars
    for i in stride(from: 0, to: 2_000, by: 41) {
      for j in 0..<Self.d {
        var v: Float = 0
        for q in 0..<Self.m { v += b[(q * Self.k + codes[i, q]) * Self.d + j] }
        #expect(abs(v - y[i * Self.d + j]) < 1e-5)
      }
    }
  }

  /// Greedy encoding: block m takes the codeword nearest to what blocks 1..m-1 left (brute force).
  @Test func greedyEncodingIsNearestCodewordPerBlock() throws {
    let (rq, _) = try trained()
    let held = try TestData.rotatedAnisotropic(200, Self.d, seed: 302)
    let codes = try rq.encode(held)
    let b = try #require(rq.codebooks).scalars
    let xs = held.scalars
    for i in 0..<200 {
      var r = Array(xs[i * Self.d..<(i + 1) * Self.d])
      for q in 0..<Self.m {
        let dist = (0..<Self.k).map { c in
          TestData.distance(r[...], b[(q * Self.k + c) * Self.d..<(q * Self.k + c + 1) * Self.d])
        }
        let best = dist.min()!
        #expect(dist[codes[i, q]] <= best + 1e-5 * max(1, best))
        for j in 0..<Self.d { r[j] -= b[(q * Self.k + codes[i, q]) * Self.d + j] }
      }
    }
  }

  /// Training set: each block's centroids are means of the residuals they take, and a mean is at
  /// least as close to its points as the zero vector, so the error cannot grow with the blocks.
  /// Held-out data comes from the same distribution; its decrease per block (printed) is far
  /// larger than the train/held-out gap, so the same order is asserted there.
  @Test func distortionDoesNotGrowWithBlocks() throws {
    let (rq, x) = try trained()
    let held = try TestData.rotatedAnisotropic(1_000, Self.d, seed: 303)
    func prefixDistortions(_ data: Tensor) throws -> [Double] {
      let codes = try rq.encode(data)
      let total = data.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
      return try (1...Self.m).map { b in data.sumSquaredDifference(try rq.decode(codes.prefix(blocks: b))) / total }
    }
    let train = try prefixDistortions(x)
    let test = try prefixDistortions(held)
    print(
      "RQ relative distortion by blocks, train:", train.map { String(format: "%.4f", $0) }, "held-out:",
      test.map { String(format: "%.4f", $0) })
    #expect(train[0] < 1)
    for b in 1..<Self.m {
      #expect(train[b] <= train[b - 1] * (1 + 1e-6))
      #expect(test[b] <= test[b - 1])
    }
  }

  /// A beam of B = K with M = 2 keeps every first-block choice, so it searches all K^2 codes.
  @Test func fullBeamFindsTheOptimumOfTwoBlocks() throws {
    let x = try TestData.rotatedAnisotropic(400, 8, seed: 304)
    var rq = try ResidualQuantizer(dimension: 8, blockCount: 2, codewordCount: 8, beamWidth: 8, iterations: 10)
    try rq.train(x)
    let codes = try rq.encode(x)
    let b = try #require(rq.codebooks).scalars
    let xs = x.scalars
    for i in stride(from: 0, to: 400, by: 3) {
      var best = Double.infinity
      for c0 in 0..<8 {
        for c1 in 0..<8 {
          let y = (0..<8).map { j in b[c0 * 8 + j] + b[(8 + c1) * 8 + j] }
          best = min(best, TestData.distance(xs[i * 8..<(i + 1) * 8], y[...]))
        }
      }
      let y = (0..<8).map { j in b[codes[i, 0] * 8 + j] + b[(8 + codes[i, 1]) * 8 + j] }
      #expect(TestData.distance(xs[i * 8..<(i + 1) * 8], y[...]) <= best * (1 + 1e-5) + 1e-6)
    }
  }

  /// Beam search keeps the greedy code whenever that one is better, so per vector it never loses.
  @Test func beamSearchIsNeverWorseThanGreedy() throws {
    var (rq, x) = try trained()
    let held = try TestData.rotatedAnisotropic(1_000, Self.d, seed: 305)
    let greedy = try rq.squaredErrors(held)
    let greedyTrain = try rq.relativeDistortion(x)
    rq.beamWidth = 8
    let beam = try rq.squaredErrors(held)
    for (g, b) in zip(greedy, beam) { #expect(b <= g * (1 + 1e-5) + 1e-6) }
    let sg = greedy.reduce(0, +)
    let sb = beam.reduce(0, +)
    print(
      String(
        format:
          "RQ held-out squared error: greedy %.2f, beam 8 %.2f (train relative distortion greedy %.4f, beam %.4f)",
        sg, sb, greedyTrain, try rq.relativeDistortion(x)))
    #expect(sb < sg)
    let loaded = try QuantizerLoader.load(configuration: rq.configuration, tensors: rq.stateTensors())
    #expect(try loaded.encode(held) == rq.encode(held))
  }

  @Test func errorsNameTheProblem() throws {
    let (rq, _) = try trained()
    #expect(throws: QuantizationError.dimensionMismatch(op: "RQ.encode", expected: 16, got: 17)) {
      try rq.encode(try TestData.gaussian(2, 17, seed: 1))
    }
    var fresh = try ResidualQuantizer(dimension: 4, blockCount: 2, codewordCount: 256)
    #expect(throws: QuantizationError.tooFewTrainingVectors(op: "RQ.train (K = 256)", needed: 256, got: 50)) {
      try fresh.train(try TestData.gaussian(50, 4, seed: 1))
    }
    #expect(
      throws: QuantizationError.invalidShape(
        op: "RQ.encode", shape: [16], expected: "a matrix [n, 16] with one vector per row")
    ) {
      try rq.encode(try TestData.gaussian(1, 16, seed: 1).reshaped([16]))
    }
  }
}

@Suite struct EmptyInputTests {
  /// Zero rows encode to zero codes and decode to a [0, D] tensor, for every quantizer.
  @Test func zeroRowsRoundTrip() throws {
    let x = try TestData.rotatedAnisotropic(300, 8, seed: 401)
    var pq = try ProductQuantizer(dimension: 8, subspaceCount: 2, codewordCount: 8, iterations: 3)
    var opq = try OptimizedProductQuantizer(
      dimension: 8, subspaceCount: 2, codewordCount: 8, outerIterations: 1, iterations: 3)
    var rq = try ResidualQuantizer(dimension: 8, blockCount: 2, codewordCount: 8, beamWidth: 4, iterations: 3)
    try pq.train(x)
    try opq.train(x)
    try rq.train(x)
    let empty = try Tensor.zeros([0, 8])
    for q in [pq, opq, rq] as [any VectorQuantizer] {
      let codes = try q.encode(empty)
      #expect(codes.count == 0 && codes.blockCount == 2)
      #expect(try q.decode(codes).shape == [0, 8])
    }
  }
}

@Suite struct CodeWidthAndWorkerTests {
  /// K > 256 stores two bytes per code; the round trip still picks the codewords by hand.
  @Test func sixteenBitCodes() throws {
    let x = try TestData.blobs(700, 4, clusters: 50, seed: 501)
    var pq = try ProductQuantizer(dimension: 4, subspaceCount: 2, codewordCount: 300, iterations: 5)
    try pq.train(x)
    let codes = try pq.encode(x)
    #expect(codes.bytesPerCode == 2 && pq.codeSizeBytes == 4 && pq.codeLengthBits == 18)
    let y = try pq.decode(codes).scalars
    let books = try #require(pq.codebooks).scalars
    for i in stride(from: 0, to: 700, by: 13) {
      for s in 0..<2 {
        #expect(
          Array(y[i * 4 + s * 2..<i * 4 + s * 2 + 2])
            == Array(books[(s * 300 + codes[i, s]) * 2..<(s * 300 + codes[i, s]) * 2 + 2]))
      }
    }
    #expect("\(pq)" == "PQ(D=4, M=2, K=300, 18 bits, trained)")
  }

  /// Chunks run on any number of workers with their own scratch: one worker gives the same codes.
  @Test func codesDoNotDependOnTheWorkerCount() throws {
    let x = try TestData.rotatedAnisotropic(3_000, 16, seed: 502)
    var pq = try ProductQuantizer(dimension: 16, subspaceCount: 4, codewordCount: 16, iterations: 5)
    var rq = try ResidualQuantizer(dimension: 16, blockCount: 3, codewordCount: 16, beamWidth: 3, iterations: 5)
    try pq.train(x)
    try rq.train(x)
    let (pqAll, rqAll) = (try pq.encode(x), try rq.encode(x))
    Parallel.workerLimit = 1
    defer { Parallel.workerLimit = nil }
    #expect(try pq.encode(x) == pqAll)
    #expect(try rq.encode(x) == rqAll)
  }

  /// Training too: OPQ (whose rotation products ran on OpenBLAS's threads before the engine had
  /// one thread policy) and RQ give the same bits with one worker as with every worker, on data
  /// large enough that products split into row pieces and k-means into several chunks.
  @Test func trainingDoesNotDependOnTheWorkerCount() throws {
    let x = try TestData.rotatedAnisotropic(20_000, 32, seed: 503)
    func trained() throws -> (opq: [Float], rotation: [Float], rq: [Float]) {
      var opq = try OptimizedProductQuantizer(dimension: 32, subspaceCount: 4, codewordCount: 16, outerIterations: 3)
      var rq = try ResidualQuantizer(dimension: 32, blockCount: 2, codewordCount: 16, iterations: 5)
      try opq.train(x)
      try rq.train(x)
      return (opq.productQuantizer.codebooks!.scalars, opq.rotation!.scalars, rq.codebooks!.scalars)
    }
    let all = try trained()
    Parallel.workerLimit = 1
    defer { Parallel.workerLimit = nil }
    let one = try trained()
    #expect(one.opq == all.opq && one.rotation == all.rotation)
    #expect(one.rq == all.rq)
  }
}
