import DPQTensor
import Testing

@testable import DPQQuantization

@Suite struct KMeansTests {
  /// Lloyd's objective cannot increase: the update moves each centroid to its cluster's mean and
  /// the assignment can only find closer centroids. The tolerance is Float rounding of the
  /// distances (about 1e-7 relative per term), not a tuned margin.
  @Test func objectiveNeverIncreases() throws {
    let x = try TestData.blobs(1_500, 12, clusters: 20, seed: 1)
    let result = try KMeans(k: 32, iterations: 40, seed: 3, tolerance: 0).fit(x)
    #expect(result.objectives.count >= 5)
    for (a, b) in zip(result.objectives, result.objectives.dropFirst()) {
      #expect(b <= a * (1 + 1e-6), "objective rose from \(a) to \(b)")
    }
    print(
      "k-means objectives (n=1500, D=12, K=32):",
      result.objectives.map { String(format: "%.1f", $0) }.joined(separator: " "))
  }

  /// One iteration from given centroids equals a naive Double-precision Lloyd step: the same
  /// assignment, objective and new centroids (the means).
  @Test func oneIterationMatchesNaiveReference() throws {
    let (n, d, k) = (2_500, 7, 9) // 2,500 rows span several assignment chunks
    let x = try TestData.blobs(n, d, clusters: 6, seed: 5)
    let initial = try TestData.gaussian(k, d, seed: 6) * Tensor(scalar: 4)
    let result = try KMeans(k: k, iterations: 1, seed: 1, maxPointsPerCentroid: nil).fit(x, initialCentroids: initial)
    let xs = x.scalars
    let cs = initial.scalars
    var labels = [Int](repeating: 0, count: n)
    var objective = 0.0
    var sums = [Double](repeating: 0, count: k * d)
    var sizes = [Int](repeating: 0, count: k)
    for i in 0..<n {
      let dist = (0..<k).map { c in TestData.distance(xs[i * d..<(i + 1) * d], cs[c * d..<(c + 1) * d]) }
      let best = dist.indices.min { dist[$0] < dist[$1] }!
      labels[i] = best
      objective += dist[best]
      sizes[best] += 1
      for j in 0..<d { sums[best * d + j] += Double(xs[i * d + j]) }
    }
    #expect(abs(result.objectives[0] - objective) <= 1e-5 * objective)
    let fast = try x.nearestRows(of: initial).labels
    #expect(fast == labels)
    let got = result.centroids.scalars
    for c in 0..<k where sizes[c] > 0 {
      for j in 0..<d { #expect(abs(Double(got[c * d + j]) - sums[c * d + j] / Double(sizes[c])) < 1e-4) }
    }
  }

  /// k-means++ gives a point already chosen (or an exact copy of one) weight 0, so on data with
  /// 10 distinct values each repeated 4 times, 10 seeds are the 10 distinct values.
  @Test func kMeansPlusPlusPicksDistinctSeeds() throws {
    let base = try TestData.gaussian(10, 5, seed: 11).scalars
    let x = try Tensor(shape: [40, 5], scalars: (0..<40).flatMap { i in base[(i % 10) * 5..<(i % 10 + 1) * 5] })
    let result = try KMeans(k: 10, iterations: 0, seed: 2).fit(x)
    #expect(Set(result.seedIndices).count == 10)
    #expect(Set(result.seedIndices.map { $0 % 10 }).count == 10, "seeds \(result.seedIndices) repeat a value")
    // More clusters than distinct values: the seeds are still distinct rows.
    let more = try KMeans(k: 16, iterations: 0, seed: 2).fit(x)
    #expect(Set(more.seedIndices).count == 16)
  }

  /// Centroids that start far from all data get no points; the repair moves them onto points of
  /// the largest clusters, every cluster ends non-empty and the objective keeps falling.
  @Test func emptyClustersAreRepaired() throws {
    let (n, d, k) = (400, 4, 12)
    let x = try TestData.blobs(n, d, clusters: 12, seed: 21)
    var initial = try TestData.gaussian(k, d, seed: 22)
    try initial.withUnsafeMutableBufferPointer { b in
      for i in (4 * d)..<(k * d) { b[i] = 1e4 + Float(i) } // 8 centroids no point will choose
      _ = try #require(b.count == k * d)
    }
    let result = try KMeans(k: k, iterations: 30, seed: 4, tolerance: 0).fit(x, initialCentroids: initial)
    #expect(result.emptyClusterRepairs >= 8)
    let labels = try x.nearestRows(of: result.centroids).labels
    #expect(Set(labels).count == k)
    for (a, b) in zip(result.objectives, result.objectives.dropFirst()) { #expect(b <= a * (1 + 1e-6)) }
  }

  /// K close to n with duplicated points: 10 distinct values twice each, K = 12. Two clusters
  /// must stay empty or duplicate; the run must still end cleanly with objective 0.
  @Test func duplicatedPointsWithKCloseToN() throws {
    let base = try TestData.gaussian(10, 3, seed: 31).scalars
    let x = try Tensor(shape: [20, 3], scalars: (0..<20).flatMap { i in base[(i % 10) * 3..<(i % 10 + 1) * 3] })
    let result = try KMeans(k: 12, iterations: 10, seed: 5).fit(x)
    #expect(result.centroids.shape == [12, 3])
    #expect(result.objectives.last == 0)
    #expect(result.centroids.scalars.allSatisfy { $0.isFinite })
    // The exact case: K = n distinct points, every point its own cluster.
    let exact = try KMeans(k: 20, iterations: 5, seed: 5).fit(try TestData.gaussian(20, 3, seed: 32))
    #expect(exact.objectives.first == 0)
  }

  @Test func stopsWhenAskedAndKeepsCentroids() throws {
    let x = try TestData.gaussian(2_000, 8, seed: 41) // unstructured: far from converged after 3 iterations
    let calls = SharedCounter()
    var seen: [Int] = []
    let result = try KMeans(k: 16, iterations: 50, seed: 1, tolerance: 0).fit(
      x,
      shouldStop: { calls.increment() > 3 }, progress: { it, _ in seen.append(it) })
    #expect(result.stopped)
    #expect(result.objectives.count == 3)
    #expect(seen == [0, 1, 2])
    #expect(result.centroids.shape == [16, 8])
  }

  @Test func rejectsBadInputWithActionableErrors() throws {
    let x = try TestData.gaussian(100, 4, seed: 1)
    #expect(throws: QuantizationError.tooFewTrainingVectors(op: "kmeans (k = 256)", needed: 256, got: 100)) {
      try KMeans(k: 256).fit(x)
    }
    let message = "\(QuantizationError.tooFewTrainingVectors(op: "kmeans (k = 256)", needed: 256, got: 100))"
    #expect(message.contains("256") && message.contains("100"))
    var bad = x
    try bad.setValue(.nan, at: [7, 2])
    #expect(throws: QuantizationError.nonFiniteInput(op: "kmeans", row: 7, column: 2)) { try KMeans(k: 4).fit(bad) }
    #expect(throws: QuantizationError.self) {
      try KMeans(k: 4).fit(x, initialCentroids: try TestData.gaussian(3, 4, seed: 1))
    }
  }

  /// Subsampling to k * maxPointsPerCentroid rows is seeded and reported.
  @Test func subsamplesLargeTrainingSets() throws {
    let x = try TestData.blobs(3_000, 4, clusters: 5, seed: 51)
    let a = try KMeans(k: 5, iterations: 5, seed: 9, maxPointsPerCentroid: 100).fit(x)
    let b = try KMeans(k: 5, iterations: 5, seed: 9, maxPointsPerCentroid: 100).fit(x)
    #expect(a.trainingPointCount == 500)
    #expect(a.centroids == b.centroids)
  }
}
