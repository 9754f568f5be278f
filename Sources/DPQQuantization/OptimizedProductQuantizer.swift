import DPQTensor

/// Optimized product quantization, the non-parametric OPQ of Ge et al. (CVPR 2013, TPAMI 2014):
/// a product quantizer applied after an orthogonal rotation R learned with it. Training alternates
/// (1) PQ codebooks for the rotated data `X R^T`, warm-started, and (2) the orthogonal Procrustes
/// step, the R minimising `||X R^T - Y||` for the current reconstructions Y.
///
/// Schedule (faiss's `OPQMatrix` uses 50 alternations of 4 k-means iterations after a first PQ of
/// 40; we take 20 x 4 after a first PQ of `iterations` = 25, then a final warm-started PQ of 25):
/// with R = identity at the start, the first PQ is exactly the one `ProductQuantizer` would
/// train with the same seed, and every later step can only lower the training error, so OPQ's
/// training distortion is never above PQ's. `.random` starts from a Haar rotation (faiss's
/// choice), which balances variance across subspaces at once but loses that guarantee.
public struct OptimizedProductQuantizer: VectorQuantizer, Sendable {
  /// The rotation training starts from.
  public enum InitialRotation: String, Sendable {
    case identity, random
  }

  public var name: String { "OPQ" }
  public var dimension: Int { productQuantizer.dimension }
  /// Subspaces (M).
  public var blockCount: Int { productQuantizer.blockCount }
  /// Codewords per subspace (K).
  public var codewordCount: Int { productQuantizer.codewordCount }
  /// Alternations of codebook training and the rotation update.
  public var outerIterations: Int
  /// k-means iterations inside each alternation (warm-started from the previous codebooks).
  public var innerIterations: Int
  /// k-means iterations of the first PQ and of the final warm-started PQ.
  public var iterations: Int {
    get { productQuantizer.iterations }
    set { productQuantizer.iterations = newValue }
  }
  public var initialRotation: InitialRotation
  /// Seed of the k-means runs (subspace m uses `seed + m`) and of a random initial rotation.
  public var seed: UInt64 {
    get { productQuantizer.seed }
    set { productQuantizer.seed = newValue }
  }
  /// Subsampling cap passed to k-means; nil trains on all rows.
  public var maxPointsPerCentroid: Int? {
    get { productQuantizer.maxPointsPerCentroid }
    set { productQuantizer.maxPointsPerCentroid = newValue }
  }
  /// The rotation R [D, D] once trained: rotated vectors are `X R^T`.
  public private(set) var rotation: Tensor?
  /// The product quantizer of the rotated vectors.
  public private(set) var productQuantizer: ProductQuantizer

  public var isTrained: Bool { rotation != nil && productQuantizer.isTrained }

  /// An untrained OPQ; `subspaceCount` must divide `dimension`.
  public init(
    dimension: Int, subspaceCount: Int, codewordCount: Int = 256, outerIterations: Int = 20,
    innerIterations: Int = 4, iterations: Int = 25, initialRotation: InitialRotation = .identity,
    seed: UInt64 = 1234, maxPointsPerCentroid: Int? = 256
  ) throws {
    guard outerIterations >= 0, innerIterations >= 0 else {
      throw QuantizationError.invalidArgument(
        op: "OptimizedProductQuantizer",
        reason: "iteration counts must be >= 0, got outer \(outerIterations), inner \(innerIterations)")
    }
    productQuantizer = try ProductQuantizer(
      dimension: dimension, subspaceCount: subspaceCount, codewordCount: codewordCount,
      iterations: iterations, seed: seed, maxPointsPerCentroid: maxPointsPerCentroid)
    self.outerIterations = outerIterations
    self.innerIterations = innerIterations
    self.initialRotation = initialRotation
  }

  public var layout: CodebookLayout {
    get throws {
      guard let r = rotation, let c = productQuantizer.codebooks else {
        throw QuantizationError.notTrained(quantizer: name, op: "OPQ.layout")
      }
      return .product(codebooks: c, rotation: r)
    }
  }

  func trainedRotation(op: String) throws -> Tensor {
    guard let r = rotation, productQuantizer.isTrained else {
      throw QuantizationError.notTrained(quantizer: name, op: "OPQ.\(op)")
    }
    return r
  }

  /// `x R^T`: the vectors in the rotated space the product quantizer works in.
  public func rotate(_ x: Tensor) throws -> Tensor {
    let r = try trainedRotation(op: "rotate")
    _ = try checkMatrix(x, dimension: dimension, op: "OPQ.rotate")
    return try matrixProduct(x, r, transposeB: true)
  }

  // MARK: training

  @discardableResult
  public mutating func train(_ x: Tensor, control: TrainingControl) throws -> TrainingReport {
    let n = try checkMatrix(x, dimension: dimension, op: "OPQ.train")
    guard n >= codewordCount else {
      throw QuantizationError.tooFewTrainingVectors(
        op: "OPQ.train (K = \(codewordCount))", needed: codewordCount, got: n)
    }
    try checkFinite(x, op: "OPQ.train")
    var report = TrainingReport()
    var r =
      initialRotation == .identity
      ? Orthogonal.identity(dimension)
      : try Orthogonal.random(dimension: dimension, seed: seed &+ 0x09_0C)
    func rotated(_ r: Tensor) throws -> Tensor { try matrixProduct(x, r, transposeB: true) }
    var pq = productQuantizer
    var xr = try rotated(r)
    try pq.train(
      xr, initialCodebooks: nil, iterations: iterations, control: control, report: &report, phasePrefix: "initial PQ ")
    for it in 0..<outerIterations {
      if control.stopRequested {
        report.stopped = true
        break
      }
      let y = try pq.decode(pq.encode(xr))
      let step = TrainingProgress(phase: "rotation", iteration: it, objective: xr.sumSquaredDifference(y))
      report.steps.append(step)
      control.progress?(step)
      r = try Orthogonal.procrustes(from: x, to: y)
      xr = try rotated(r)
      try pq.train(
        xr, initialCodebooks: pq.codebooks, iterations: innerIterations, control: control,
        report: &report, phasePrefix: "alternation \(it + 1) ")
    }
    if !report.stopped {
      try pq.train(
        xr, initialCodebooks: pq.codebooks, iterations: iterations, control: control, report: &report,
        phasePrefix: "final PQ ")
    }
    productQuantizer = pq
    rotation = r
    return report
  }

  // MARK: encoding

  public func encode(_ x: Tensor) throws -> Codes {
    _ = try trainedRotation(op: "encode")
    _ = try checkMatrix(x, dimension: dimension, op: "OPQ.encode")
    return try productQuantizer.encode(rotate(x))
  }

  /// Reconstructions in the input space: `Y_hat @ R`.
  public func decode(_ codes: Codes) throws -> Tensor {
    let r = try trainedRotation(op: "decode")
    try checkCodes(codes, blocks: blockCount, codewords: codewordCount, op: "OPQ.decode")
    return try CodebookLayout.product(codebooks: productQuantizer.trainedCodebooks(op: "decode"), rotation: r)
      .decode(codes, op: "OPQ.decode")
  }

  // MARK: persistence

  public var configuration: [String: String] {
    var c = productQuantizer.configuration
    c["type"] = "opq"
    c["outerIterations"] = "\(outerIterations)"
    c["innerIterations"] = "\(innerIterations)"
    c["initialRotation"] = initialRotation.rawValue
    return c
  }

  public func stateTensors() -> [(String, Tensor)] {
    guard let r = rotation, let c = productQuantizer.codebooks else { return [] }
    return [("opq.rotation", r), ("opq.codebooks", c)]
  }

  /// Rebuilds an OPQ from `configuration` and `stateTensors()` (untrained if the tensors are absent).
  public init(configuration c: [String: String], tensors: [String: Tensor]) throws {
    let initial = c.string("initialRotation", default: "identity")
    guard let rotationInit = InitialRotation(rawValue: initial) else {
      throw QuantizationError.invalidConfiguration(
        key: "initialRotation", value: initial, reason: "expected identity or random")
    }
    try self.init(
      dimension: c.int("dimension"), subspaceCount: c.int("blockCount"), codewordCount: c.int("codewordCount"),
      outerIterations: c.int("outerIterations", default: 20), innerIterations: c.int("innerIterations", default: 4),
      iterations: c.int("iterations", default: 25), initialRotation: rotationInit,
      seed: c.uint64("seed", default: 1234), maxPointsPerCentroid: c.optionalInt("maxPointsPerCentroid", default: 256))
    let r = try tensors.state("opq.rotation", shape: [dimension, dimension])
    let books = try tensors.state("opq.codebooks", shape: [blockCount, codewordCount, dimension / blockCount])
    switch (r, books) {
    case (nil, nil): return
    case (nil, _):
      throw QuantizationError.invalidState(name: "opq.rotation", expected: [dimension, dimension], got: nil)
    case (_, nil):
      throw QuantizationError.invalidState(
        name: "opq.codebooks", expected: [blockCount, codewordCount, dimension / blockCount], got: nil)
    case (let r?, let books?):
      try checkFinite(r, op: "opq.rotation")
      let error = try Orthogonal.orthogonalityError(r)
      guard error < 1e-3 else {
        throw QuantizationError.invalidArgument(
          op: "opq.rotation",
          reason: "the saved rotation is not orthogonal (max |R R^T - I| = \(error)); the file is damaged")
      }
      rotation = r
      try productQuantizer.setCodebooks(books)
    }
  }
}
