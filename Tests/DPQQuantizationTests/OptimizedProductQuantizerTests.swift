import DPQTensor
import Testing

@testable import DPQQuantization

@Suite struct OptimizedProductQuantizerTests {
  @Test func procrustesRecoversAKnownRotation() throws {
    let x = try TestData.gaussian(200, 12, seed: 201)
    let r0 = try Orthogonal.random(dimension: 12, seed: 202)
    #expect(try Orthogonal.orthogonalityError(r0) < 1e-5)
    let y = try Tensor.matmul(x, r0, transposeA: false, transposeB: true)
    let r = try Orthogonal.procrustes(from: x, to: y)
    for (a, b) in zip(r.scalars, r0.scalars) { #expect(abs(a - b) < 1e-4) }
    // An orthogonal matrix is its own polar factor.
    let p = try Orthogonal.polarFactor(r0)
    for (a, b) in zip(p.scalars, r0.scalars) { #expect(abs(a - b) < 1e-5) }
  }

  /// On a random rotation of anisotropic Gaussian data, OPQ started from the identity begins
  /// with exactly the PQ `ProductQuantizer` trains (same seed, same iterations) and every later
  /// step (Procrustes, warm-started k-means) can only lower the training error: so OPQ <= PQ,
  /// up to Float rounding.
  @Test func rotationIsOrthogonalAndDistortionAtMostPQ() throws {
    let (n, d, m, k) = (1_500, 32, 4, 32)
    let x = try TestData.rotatedAnisotropic(n, d, seed: 203)
    let held = try TestData.rotatedAnisotropic(500, d, seed: 204)
    var pq = try ProductQuantizer(dimension: d, subspaceCount: m, codewordCount: k, iterations: 20, seed: 5)
    try pq.train(x)
    var opq = try OptimizedProductQuantizer(
      dimension: d, subspaceCount: m, codewordCount: k, outerIterations: 8,
      innerIterations: 4, iterations: 20, seed: 5)
    let report = try opq.train(x)
    let r = try #require(opq.rotation)
    #expect(try Orthogonal.orthogonalityError(r) < 1e-4)
    let pqTrain = try pq.relativeDistortion(x)
    let opqTrain = try opq.relativeDistortion(x)
    #expect(opqTrain <= pqTrain * (1 + 1e-5))
    let rotationErrors = report.objectives(phase: "rotation")
    #expect(rotationErrors.count == 8)
    for (a, b) in zip(rotationErrors, rotationErrors.dropFirst()) { #expect(b <= a * (1 + 1e-5)) }
    var random = opq
    random.initialRotation = .random
    try random.train(x)
    print(
      String(
        format: "relative distortion, train / held-out: PQ %.4f / %.4f, OPQ %.4f / %.4f, OPQ(random init) %.4f / %.4f",
        pqTrain, try pq.relativeDistortion(held), opqTrain, try opq.relativeDistortion(held),
        try random.relativeDistortion(x), try random.relativeDistortion(held)))
  }

  /// decode = the concatenated codewords, rotated back with R (rows: Y @ R).
  @Test func decodeEqualsCodewordsPickedByHandRotatedBack() throws {
    let (d, m, k) = (16, 4, 16)
    let x = try TestData.rotatedAnisotropic(400, d, seed: 205)
    var opq = try OptimizedProductQuantizer(
      dimension: d, subspaceCount: m, codewordCount: k, outerIterations: 3, iterations: 8)
    try opq.train(x)
    let codes = try opq.encode(x)
    let got = try opq.decode(codes).scalars
    guard case .product(let books, let rotation?) = try opq.layout else {
      Issue.record("expected a rotated product layout")
      return
    }
    let b = books.scalars
    let r = rotation.scalars
    let ds = d / m
    for i in stride(from: 0, to: 400, by: 29) {
      var y = [Float](repeating: 0, count: d)
      for s in 0..<m { for j in 0..<ds { y[s * ds + j] = b[(s * k + codes[i, s]) * ds + j] } }
      for c in 0..<d {
        var v: Float = 0
        for j in 0..<d { v += y[j] * r[j * d + c] }
        #expect(abs(v - got[i * d + c]) < 1e-4)
      }
    }
    let loaded = try QuantizerLoader.load(configuration: opq.configuration, tensors: opq.stateTensors())
    #expect(try loaded.encode(x) == codes)
    #expect(throws: QuantizationError.dimensionMismatch(op: "OPQ.encode", expected: 16, got: 15)) {
      try opq.encode(try TestData.gaussian(3, 15, seed: 1))
    }
  }

  @Test func stopsEarlyAndStaysUsable() throws {
    let x = try TestData.rotatedAnisotropic(300, 8, seed: 206)
    var opq = try OptimizedProductQuantizer(dimension: 8, subspaceCount: 2, codewordCount: 8, outerIterations: 50)
    let checks = SharedCounter()
    let report = try opq.train(
      x,
      control: TrainingControl(shouldStop: { checks.increment() > 30 }))
    #expect(report.stopped)
    #expect(opq.isTrained)
    #expect(try opq.relativeDistortion(x) < 1)
  }
}
