import DPQTensor

/// k-means clustering (Lloyd's algorithm) with k-means++ seeding, in the manner of faiss's
/// `Clustering`: the assignment step is one sgemm per chunk of rows, chunks run on every core,
/// empty clusters are repaired by splitting the largest one, and the objective is recorded at
/// every iteration.
///
/// ```
/// let result = try KMeans(k: 256, seed: 7).fit(x)   // x: [n, D]
/// result.centroids                                  // [256, D]
/// ```
public struct KMeans {
  /// Number of clusters (K).
  public var k: Int
  /// Most Lloyd iterations (assignment + update); fewer when the run converges.
  public var iterations: Int
  /// Seed of every random choice (subsampling, k-means++, empty-cluster repair).
  public var seed: UInt64
  /// The run has converged when an iteration lowers the objective by less than this fraction
  /// (or changes no assignment). The default sits at Float rounding level.
  public var tolerance: Double
  /// Train on at most `k * maxPointsPerCentroid` rows, a seeded sample (faiss's default: 256);
  /// nil uses every row.
  public var maxPointsPerCentroid: Int?
  /// k-means++ draws its seeds from at most this many rows (a seeded sample), since seeding costs
  /// candidates x K x D and runs one centroid at a time; Lloyd iterations then use every row.
  /// nil: max(10,000, 4K).
  public var seedingCandidates: Int?

  public init(
    k: Int, iterations: Int = 25, seed: UInt64 = 1234, tolerance: Double = 1e-6,
    maxPointsPerCentroid: Int? = 256, seedingCandidates: Int? = nil
  ) {
    self.k = k
    self.iterations = iterations
    self.seed = seed
    self.tolerance = tolerance
    self.maxPointsPerCentroid = maxPointsPerCentroid
    self.seedingCandidates = seedingCandidates
  }

  /// Clusters the rows of `x` ([n, D], n >= k).
  ///
  /// - Parameters:
  ///   - initialCentroids: [k, D] to start from instead of k-means++ (a warm start).
  ///   - shouldStop: checked before every iteration; when it returns true the run ends and
  ///     returns the centroids computed so far (`stopped` is set).
  ///   - progress: called after every iteration's assignment with the iteration number (from 0)
  ///     and the objective (sum of squared distances to the assigned centroids).
  public func fit(
    _ x: Tensor, initialCentroids: Tensor? = nil, shouldStop: (@Sendable () -> Bool)? = nil,
    progress: ((Int, Double) -> Void)? = nil
  ) throws -> KMeansResult {
    let op = "kmeans"
    guard x.rank == 2, x.shape[1] > 0 else {
      throw QuantizationError.invalidShape(
        op: op, shape: x.shape, expected: "a matrix [n, D] with D > 0, one vector per row")
    }
    guard k >= 1 else { throw QuantizationError.invalidArgument(op: op, reason: "k must be at least 1, got \(k)") }
    guard iterations >= 0 else {
      throw QuantizationError.invalidArgument(op: op, reason: "iterations must be >= 0, got \(iterations)")
    }
    if let m = maxPointsPerCentroid, m < 1 {
      throw QuantizationError.invalidArgument(op: op, reason: "maxPointsPerCentroid must be >= 1 or nil, got \(m)")
    }
    if let c = seedingCandidates, c < k {
      throw QuantizationError.invalidArgument(op: op, reason: "seedingCandidates (\(c)) must be at least k (\(k))")
    }
    let n = x.shape[0]
    let d = x.shape[1]
    guard n >= k else { throw QuantizationError.tooFewTrainingVectors(op: "kmeans (k = \(k))", needed: k, got: n) }
    if let c = initialCentroids, c.shape != [k, d] {
      throw QuantizationError.invalidShape(op: op, shape: c.shape, expected: "initial centroids [\(k), \(d)]")
    }
    try checkFinite(x, op: op)

    var rng = RandomGenerator(seed: seed)
    // faiss's subsampling: beyond a few hundred points per centroid, more data barely moves them.
    var data = x
    if let m = maxPointsPerCentroid, n > k * m {
      let rows = try rng.choice(n, count: k * m).sorted()
      data = gatherRows(x, rows)
    }
    let count = data.shape[0]

    var centroids: [Float]
    var seedIndices: [Int] = []
    if let c = initialCentroids {
      centroids = c.scalars
    } else {
      let candidates = seedingCandidates ?? max(10_000, 4 * k)
      seedIndices = try data.withUnsafeBufferPointer { b in
        try kMeansPlusPlus(b.baseAddress!, count: count, dimension: d, k: k, candidates: candidates, rng: &rng)
      }
      centroids = [Float](repeating: 0, count: k * d)
      data.withUnsafeBufferPointer { b in
        for (c, i) in seedIndices.enumerated() { for j in 0..<d { centroids[c * d + j] = b[i * d + j] } }
      }
    }

    var lloyd = Lloyd(count: count, d: d, k: k)
    var result = KMeansResult(
      centroids: Tensor([Float]()), objectives: [], seedIndices: seedIndices, converged: false,
      stopped: false, emptyClusterRepairs: 0, trainingPointCount: count)
    data.withUnsafeBufferPointer { b in
      let p = b.baseAddress!
      for it in 0..<iterations {
        if shouldStop?() == true {
          result.stopped = true
          break
        }
        let objective = lloyd.assign(p, centroids: centroids)
        result.objectives.append(objective)
        progress?(it, objective)
        if it > 0 && lloyd.changedAssignments == 0 {
          result.converged = true
          break
        }
        result.emptyClusterRepairs += lloyd.update(p, centroids: &centroids, rng: &rng)
        if it > 0, let previous = result.objectives.dropLast().last, previous - objective <= tolerance * previous {
          result.converged = true
          break
        }
      }
    }
    result.centroids = try Tensor(shape: [k, d], scalars: centroids)
    return result
  }
}

/// What a k-means run produced.
public struct KMeansResult {
  /// The centroids [k, D]: the means of the last assignment (or the seeds if no iteration ran).
  public var centroids: Tensor
  /// Sum of squared distances of the training rows to their assigned centroid, per iteration.
  /// Never increases from one iteration to the next (up to Float rounding).
  public var objectives: [Double]
  /// Rows (of the possibly subsampled training set) k-means++ chose as seeds; empty after a warm start.
  public var seedIndices: [Int]
  /// True when the run stopped because assignments or the objective stopped changing.
  public var converged: Bool
  /// True when `shouldStop` ended the run.
  public var stopped: Bool
  /// How many times an empty cluster was refilled by splitting the largest one.
  public var emptyClusterRepairs: Int
  /// Rows the run trained on (after `maxPointsPerCentroid` subsampling).
  public var trainingPointCount: Int

  /// The last recorded objective, if any iteration ran.
  public var objective: Double? { objectives.last }
}

/// The state of Lloyd's iterations: labels, distances, and the previous labels for convergence.
struct Lloyd {
  let count: Int, d: Int, k: Int
  var labels: [Int32]
  var previous: [Int32]
  var distances: [Float]
  var changedAssignments = 0

  init(count: Int, d: Int, k: Int) {
    self.count = count
    self.d = d
    self.k = k
    labels = [Int32](repeating: -1, count: count)
    previous = labels
    distances = [Float](repeating: 0, count: count)
  }

  /// Assigns every row to its nearest centroid; returns the objective (exact squared distances,
  /// summed in Double).
  mutating func assign(_ p: UnsafePointer<Float>, centroids: [Float]) -> Double {
    swap(&labels, &previous)
    let (n, d, k) = (count, self.d, self.k)
    centroids.withUnsafeBufferPointer { cb in
      let norms = NearestCentroids.squaredNorms(cb.baseAddress!, count: k, d: d, ld: d)
      norms.withUnsafeBufferPointer { nb in
        let search = NearestCentroids(centroids: cb.baseAddress!, norms: nb.baseAddress!, k: k, d: d)
        labels.withUnsafeMutableBufferPointer { lb in
          distances.withUnsafeMutableBufferPointer { db in
            search.assignAll(
              x: p, ldx: d, n: n, labels: lb.baseAddress!, labelStride: 1, distances: db.baseAddress!, exact: true)
          }
        }
      }
    }
    var changed = 0
    for i in 0..<n where labels[i] != previous[i] { changed += 1 }
    changedAssignments = changed
    return distances.reduce(0.0) { $0 + Double($1) }
  }

  /// Moves every centroid to the mean of its rows and refills empty clusters; returns the number
  /// of refills.
  ///
  /// An empty cluster takes over one row of the currently largest cluster, drawn (seeded) with
  /// probability proportional to the row's squared distance to its centroid: the largest cluster
  /// is split in two at the next assignment. faiss instead copies the large centroid and nudges
  /// both copies by a factor 1 +- 1/1024; placing the new centroid on a data point keeps the old
  /// centroid where it was, so the objective can never increase, and it still splits a cluster
  /// whose coordinates are zero or whose points are all equal but one.
  mutating func update(_ p: UnsafePointer<Float>, centroids: inout [Float], rng: inout RandomGenerator) -> Int {
    let (n, d, k) = (count, self.d, self.k)
    var sums = [Double](repeating: 0, count: k * d)
    var sizes = [Int](repeating: 0, count: k)
    sums.withUnsafeMutableBufferPointer { s in
      for i in 0..<n {
        let c = Int(labels[i])
        sizes[c] += 1
        let row = p + i * d
        let acc = s.baseAddress! + c * d
        for j in 0..<d { acc[j] += Double(row[j]) }
      }
    }
    for c in 0..<k where sizes[c] > 0 {
      let inv = 1 / Double(sizes[c])
      for j in 0..<d { centroids[c * d + j] = Float(sums[c * d + j] * inv) }
    }
    var repairs = 0
    var taken = Set<Int>()
    for empty in 0..<k where sizes[empty] == 0 {
      // The largest cluster (lowest index on ties); by pigeonhole it has two or more rows.
      var largest = 0
      for c in 1..<k where sizes[c] > sizes[largest] { largest = c }
      guard sizes[largest] >= 2 else { break }
      var members: [Int] = []
      var total = 0.0
      for i in 0..<n where Int(labels[i]) == largest && !taken.contains(i) {
        members.append(i)
        total += Double(distances[i])
      }
      guard !members.isEmpty else { break }
      var pick = members[rng.nextInt(below: members.count)]
      if total > 0 {
        let r = Double(rng.nextUniform()) * total
        var cum = 0.0
        for i in members {
          cum += Double(distances[i])
          if cum > r {
            pick = i
            break
          }
        }
      }
      taken.insert(pick)
      for j in 0..<d { centroids[empty * d + j] = p[pick * d + j] }
      // faiss's bookkeeping: the two halves share the old size until the next assignment.
      sizes[empty] = sizes[largest] / 2
      sizes[largest] -= sizes[empty]
      repairs += 1
    }
    return repairs
  }
}

/// A new [rows.count, D] tensor of the given rows of `x`.
func gatherRows(_ x: Tensor, _ rows: [Int]) -> Tensor {
  let d = x.shape[1]
  return x.withUnsafeBufferPointer { src in
    Tensor(shape: [rows.count, d]) { dst in
      for (r, i) in rows.enumerated() {
        (dst.baseAddress! + r * d).update(from: src.baseAddress! + i * d, count: d)
      }
    }
  }
}
