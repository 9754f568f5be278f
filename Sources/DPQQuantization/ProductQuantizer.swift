import DPQTensor

/// Product quantization (Jegou et al. 2011), faiss's `ProductQuantizer`: the D dimensions are
/// split into M contiguous subspaces of D/M dimensions, each quantized by its own k-means
/// codebook of K codewords; a vector's code is the M nearest-codeword indices.
///
/// ```
/// var pq = try ProductQuantizer(dimension: 300, subspaceCount: 4)   // 4 x 8 bits
/// try pq.train(x)
/// let codes = try pq.encode(x)                                      // n x 4
/// let xHat = try pq.decode(codes)
/// ```
public struct ProductQuantizer: VectorQuantizer, Sendable {
  public var name: String { "PQ" }
  /// Vector dimension (D).
  public let dimension: Int
  /// Subspaces (M); every subspace contributes one code.
  public let blockCount: Int
  /// Codewords per subspace (K).
  public let codewordCount: Int
  /// Lloyd iterations of each subspace's k-means.
  public var iterations: Int
  /// Seed of subspace m's k-means is `seed + m`.
  public var seed: UInt64
  /// Subsampling cap passed to k-means (faiss: 256 points per centroid); nil trains on all rows.
  public var maxPointsPerCentroid: Int?
  /// Codebooks [M, K, D/M] once trained.
  public private(set) var codebooks: Tensor?

  /// Subspaces (M), the name PQ papers use.
  public var subspaceCount: Int { blockCount }
  /// Dimensions per subspace (D/M).
  public var subspaceDimension: Int { dimension / blockCount }
  public var isTrained: Bool { codebooks != nil }

  /// An untrained product quantizer; `subspaceCount` must divide `dimension`.
  public init(
    dimension: Int, subspaceCount: Int, codewordCount: Int = 256, iterations: Int = 25,
    seed: UInt64 = 1234, maxPointsPerCentroid: Int? = 256
  ) throws {
    try checkSizes(
      op: "ProductQuantizer", dimension: dimension, blocks: subspaceCount, codewords: codewordCount,
      iterations: iterations)
    guard dimension % subspaceCount == 0 else {
      throw QuantizationError.dimensionNotDivisible(dimension: dimension, subspaceCount: subspaceCount)
    }
    self.dimension = dimension
    blockCount = subspaceCount
    self.codewordCount = codewordCount
    self.iterations = iterations
    self.seed = seed
    self.maxPointsPerCentroid = maxPointsPerCentroid
  }

  public var layout: CodebookLayout {
    get throws { .product(codebooks: try trainedCodebooks(op: "layout"), rotation: nil) }
  }

  func trainedCodebooks(op: String) throws -> Tensor {
    guard let c = codebooks else { throw QuantizationError.notTrained(quantizer: name, op: "\(name).\(op)") }
    return c
  }

  // MARK: training

  @discardableResult
  public mutating func train(_ x: Tensor, control: TrainingControl) throws -> TrainingReport {
    var report = TrainingReport()
    try train(x, initialCodebooks: nil, iterations: iterations, control: control, report: &report, phasePrefix: "")
    return report
  }

  /// Trains every subspace's k-means, optionally from `initialCodebooks` ([M, K, D/M], OPQ's warm start).
  mutating func train(
    _ x: Tensor, initialCodebooks: Tensor?, iterations: Int, control: TrainingControl,
    report: inout TrainingReport, phasePrefix: String
  ) throws {
    let n = try checkMatrix(x, dimension: dimension, op: "\(name).train")
    guard n >= codewordCount else {
      throw QuantizationError.tooFewTrainingVectors(
        op: "\(name).train (K = \(codewordCount))", needed: codewordCount, got: n)
    }
    try checkFinite(x, op: "\(name).train")
    let (m, k, ds) = (blockCount, codewordCount, subspaceDimension)
    var books = [Float](repeating: 0, count: m * k * ds)
    for s in 0..<m {
      let sub = subspaceColumns(x, subspace: s)
      let initial = try initialCodebooks.map { c in
        try Tensor(shape: [k, ds], scalars: Array(c.scalars[s * k * ds..<(s + 1) * k * ds]))
      }
      let phase = "\(phasePrefix)subspace \(s + 1)/\(m)"
      let kmeans = KMeans(
        k: k, iterations: iterations, seed: seed &+ UInt64(s), maxPointsPerCentroid: maxPointsPerCentroid)
      var steps: [TrainingProgress] = []
      let result = try kmeans.fit(sub, initialCentroids: initial, shouldStop: control.shouldStop) { it, objective in
        let step = TrainingProgress(phase: phase, iteration: it, objective: objective)
        steps.append(step)
        control.progress?(step)
      }
      report.steps += steps
      if result.stopped { report.stopped = true }
      result.centroids.withUnsafeBufferPointer { c in
        for i in 0..<(k * ds) { books[s * k * ds + i] = c[i] }
      }
    }
    codebooks = try Tensor(shape: [m, k, ds], scalars: books)
  }

  /// Columns `s * D/M ..< (s + 1) * D/M` of `x` as a contiguous [n, D/M] tensor.
  func subspaceColumns(_ x: Tensor, subspace s: Int) -> Tensor {
    let n = x.shape[0]
    let d = dimension
    let ds = subspaceDimension
    return x.withUnsafeBufferPointer { src in
      Tensor(shape: [n, ds]) { dst in
        for i in 0..<n { (dst.baseAddress! + i * ds).update(from: src.baseAddress! + i * d + s * ds, count: ds) }
      }
    }
  }

  // MARK: encoding

  public func encode(_ x: Tensor) throws -> Codes {
    let books = try trainedCodebooks(op: "encode")
    let n = try checkMatrix(x, dimension: dimension, op: "\(name).encode")
    let (m, k, ds, d) = (blockCount, codewordCount, subspaceDimension, dimension)
    if n == 0 { return try Codes(count: 0, blockCount: m, codewordCount: k) }
    var labels = [Int32](repeating: 0, count: n * m)
    books.withUnsafeBufferPointer { cb in
      let norms = NearestCentroids.squaredNorms(cb.baseAddress!, count: m * k, d: ds, ld: ds)
      x.withUnsafeBufferPointer { xb in
        norms.withUnsafeBufferPointer { nb in
          labels.withUnsafeMutableBufferPointer { lb in
            let (xp, lp) = (xb.baseAddress!, lb.baseAddress!)
            let chunk = NearestCentroids.rowsPerChunk(k: k)
            // One chunk of rows at a time, all subspaces: each subspace's distance table is one
            // sgemm reading the rows through the stride D.
            Parallel.forEachChunk(count: n, chunkSize: chunk, makeScratch: { ScratchBuffer(capacity: chunk * k) }) {
              rows, scratch in
              for s in 0..<m {
                let search = NearestCentroids(
                  centroids: cb.baseAddress! + s * k * ds, norms: nb.baseAddress! + s * k, k: k, d: ds)
                search.assign(
                  x: xp + rows.lowerBound * d + s * ds, ldx: d, rows: rows.count,
                  scratch: scratch.reserve(rows.count * k), labels: lp + rows.lowerBound * m + s,
                  labelStride: m, distances: nil, exact: false)
              }
            }
          }
        }
      }
    }
    return try Codes.fromLabels(labels, count: n, blockCount: m, codewordCount: k)
  }

  public func decode(_ codes: Codes) throws -> Tensor {
    let books = try trainedCodebooks(op: "decode")
    try checkCodes(codes, blocks: blockCount, codewords: codewordCount, op: "\(name).decode")
    return try CodebookLayout.product(codebooks: books, rotation: nil).decode(codes, op: "\(name).decode")
  }

  // MARK: persistence

  public var configuration: [String: String] {
    [
      "type": "pq", "dimension": "\(dimension)", "blockCount": "\(blockCount)", "codewordCount": "\(codewordCount)",
      "iterations": "\(iterations)", "seed": "\(seed)",
      "maxPointsPerCentroid": maxPointsPerCentroid.map(String.init) ?? "none",
    ]
  }

  public func stateTensors() -> [(String, Tensor)] {
    codebooks.map { [("pq.codebooks", $0)] } ?? []
  }

  /// Rebuilds a quantizer from `configuration` and `stateTensors()` (untrained if the tensors are absent).
  public init(configuration c: [String: String], tensors: [String: Tensor]) throws {
    try self.init(
      dimension: c.int("dimension"), subspaceCount: c.int("blockCount"), codewordCount: c.int("codewordCount"),
      iterations: c.int("iterations", default: 25), seed: c.uint64("seed", default: 1234),
      maxPointsPerCentroid: c.optionalInt("maxPointsPerCentroid", default: 256))
    try setCodebooks(tensors.state("pq.codebooks", shape: [blockCount, codewordCount, subspaceDimension]))
  }

  /// Installs codebooks [M, K, D/M] (OPQ and the loader use this).
  mutating func setCodebooks(_ c: Tensor?) throws {
    guard let c else {
      codebooks = nil
      return
    }
    let expected = [blockCount, codewordCount, subspaceDimension]
    guard c.shape == expected else {
      throw QuantizationError.invalidState(name: "pq.codebooks", expected: expected, got: c.shape)
    }
    try checkFinite(c, op: "pq.codebooks")
    codebooks = c
  }
}

/// Shared checks of the sizes every quantizer takes.
func checkSizes(op: String, dimension: Int, blocks: Int, codewords: Int, iterations: Int) throws {
  guard dimension >= 1 else {
    throw QuantizationError.invalidArgument(op: op, reason: "dimension must be at least 1, got \(dimension)")
  }
  guard blocks >= 1 else {
    throw QuantizationError.invalidArgument(op: op, reason: "block count must be at least 1, got \(blocks)")
  }
  guard codewords >= 1 && codewords <= 65_536 else {
    throw QuantizationError.invalidArgument(
      op: op, reason: "codeword count must be in 1...65536 (codes are stored in 8 or 16 bits), got \(codewords)")
  }
  guard iterations >= 0 else {
    throw QuantizationError.invalidArgument(op: op, reason: "iterations must be >= 0, got \(iterations)")
  }
}
