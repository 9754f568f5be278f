import DPQTensor
import Foundation
import Testing

@testable import DPQPlot

@Suite struct ProjectionTests {
  /// Points along a known unit direction u (spread 5) plus small isotropic noise.
  func lineData(n: Int, d: Int, seed: UInt64) throws -> (Tensor, [Float]) {
    var rng = RandomGenerator(seed: seed)
    var u = (0..<d).map { _ in rng.nextNormal() }
    let norm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
    u = u.map { $0 / norm }
    var values: [Float] = []
    for _ in 0..<n {
      let t = 5 * rng.nextNormal()
      values.append(contentsOf: (0..<d).map { 3 + t * u[$0] + 0.1 * rng.nextNormal() })
    }
    return (try Tensor(shape: [n, d], scalars: values), u)
  }

  @Test(arguments: [10, 700]) // exact (ssyevd on the covariance) and randomized (D > 512)
  func pcaRecoversTheDominantDirection(dimension: Int) throws {
    let (x, u) = try lineData(n: 400, d: dimension, seed: 2)
    let pca = try PCA.fit(x, componentCount: 2)
    let first = Array(pca.components.scalars.prefix(dimension))
    let second = Array(pca.components.scalars.suffix(dimension))
    let cosine = zip(first, u).reduce(Float(0)) { $0 + $1.0 * $1.1 }
    #expect(abs(cosine) > 0.999)
    #expect(abs(zip(first, second).reduce(Float(0)) { $0 + $1.0 * $1.1 }) < 1e-4)
    // The first eigenvalue is the variance of the data along the first component.
    let projected = try pca.transform(x).scalars
    let along = stride(from: 0, to: projected.count, by: 2).map { Double(projected[$0]) }
    let variance = along.reduce(0) { $0 + $1 * $1 } / Double(along.count - 1)
    #expect(abs(Double(pca.explainedVariance[0]) - variance) < 1e-3 * variance)
    #expect(abs(along.reduce(0, +) / Double(along.count)) < 1e-3)
    #expect(pca.explainedVariance[0] > 20 && pca.explainedVariance[0] < 30) // spread 5: variance 25
    #expect(pca.explainedVariance[1] < 0.1)
    let centre = try pca.transform(try Tensor(shape: [1, dimension], scalars: pca.mean))
    #expect(centre.scalars.allSatisfy { abs($0) < 1e-3 })
  }

  @Test func randomizedPCAMatchesTheExactDecomposition() throws {
    // Three directions with variances 16, 9, 4 in 600 dimensions plus noise.
    var rng = RandomGenerator(seed: 12)
    let n = 300
    let d = 600
    var values: [Float] = []
    let directions = (0..<3).map { _ in (0..<d).map { _ in rng.nextNormal() / Float(d).squareRoot() } }
    for _ in 0..<n {
      let t = [4 * rng.nextNormal(), 3 * rng.nextNormal(), 2 * rng.nextNormal()]
      values.append(
        contentsOf: (0..<d).map { j in
          t[0] * directions[0][j] + t[1] * directions[1][j] + t[2] * directions[2][j] + 0.05 * rng.nextNormal()
        })
    }
    let x = try Tensor(shape: [n, d], scalars: values)
    let mean = PCA.columnMeans(x)
    let centered = values.enumerated().map { $1 - mean[$0 % d] }
    let exact = try PCA.exactComponents(centered, n: n, d: d, k: 2)
    let randomized = try PCA.randomizedComponents(centered, n: n, d: d, k: 2, seed: 1)
    for c in 0..<2 {
      #expect(abs(exact.1[c] - randomized.1[c]) < 1e-3 * exact.1[c])
      let dot = (0..<d).reduce(Float(0)) { $0 + exact.0[c * d + $1] * randomized.0[c * d + $1] }
      #expect(abs(dot) > 0.9999)
    }
  }

  @Test func pcaRejectsBadInput() throws {
    #expect(throws: PlotError.self) { try PCA.fit(try Tensor(shape: [1, 3], scalars: [1, 2, 3])) }
    #expect(throws: PlotError.self) { try PCA.fit(try Tensor(shape: [2, 2], scalars: [1, .nan, 3, 4])) }
    #expect(throws: PlotError.self) {
      try PCA.fit(try Tensor(shape: [4, 2], scalars: [1, 2, 3, 4, 5, 6, 7, 8]), componentCount: 3)
    }
  }

  @Test func tsneAffinitiesAreSymmetricAndSumToOne() throws {
    let (x, _) = try Synthetic.clusters(classes: 2, perClass: 20, dimension: 5, separation: 4, seed: 1)
    let p = TSNE.affinities(x, perplexity: 10)
    let n = 40
    let total = p.reduce(0.0) { $0 + Double($1) }
    #expect(abs(total - 1) < 1e-3)
    for i in 0..<n { for j in 0..<n { #expect(p[i * n + j] == p[j * n + i]) } }
  }

  @Test func tsneSeparatesTwoClusters() throws {
    let n = 120
    let (x, labels) = try Synthetic.clusters(classes: 2, perClass: n / 2, dimension: 10, separation: 3, seed: 8)
    let y = try TSNE.embed(x, options: TSNEOptions(perplexity: 15, iterations: 300, seed: 3))
    #expect(y.shape == [n, 2])
    let v = y.scalars
    var agree = 0
    for i in 0..<n {
      var best = -1
      var bestDistance = Float.infinity
      for j in 0..<n where j != i {
        let d0 = v[2 * i] - v[2 * j]
        let d1 = v[2 * i + 1] - v[2 * j + 1]
        let d = d0 * d0 + d1 * d1
        if d < bestDistance {
          bestDistance = d
          best = j
        }
      }
      if labels[best] == labels[i] { agree += 1 }
    }
    #expect(Double(agree) / Double(n) > 0.95)
  }

  @Test func tsneIsDeterministicForASeed() throws {
    let (x, _) = try Synthetic.clusters(classes: 3, perClass: 10, dimension: 6, separation: 3, seed: 2)
    let options = TSNEOptions(perplexity: 5, iterations: 60, seed: 9)
    #expect(try TSNE.embed(x, options: options) == TSNE.embed(x, options: options))
    var other = options
    other.seed = 10
    #expect(try TSNE.embed(x, options: options) != TSNE.embed(x, options: other))
  }

  @Test func tsneRejectsBadInput() throws {
    #expect(throws: PlotError.self) { try TSNE.embed(try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])) }
    #expect(throws: PlotError.self) {
      try TSNE.embed(try Tensor.zeros([10, 2]), options: TSNEOptions(perplexity: 0.5))
    }
  }
}
