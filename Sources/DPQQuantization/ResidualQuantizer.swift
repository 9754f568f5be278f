import DPQTensor

/// Residual quantization (Juang and Gray 1982; faiss's `ResidualQuantizer`): M full-dimensional
/// codebooks used in sequence. Block 1 quantizes x, block m quantizes what blocks 1..m-1 left
/// (the residual), and the reconstruction is the sum of one codeword per block: the additive
/// layout DPQ shares, so the first m codes already form a shorter code.
///
/// Training is greedy: block m is k-means on the residuals of the training set after blocks
/// 1..m-1, each residual taking its nearest codeword. Encoding is greedy with `beamWidth` 1, or a
/// beam search keeping the B best partial codes by full reconstruction error (see `RQBeamSearch`);
/// training always uses greedy residuals, the beam affects encoding only.
public struct ResidualQuantizer: VectorQuantizer, Sendable {
  public var name: String { "RQ" }
  /// Vector dimension (D).
  public let dimension: Int
  /// Additive blocks (M).
  public let blockCount: Int
  /// Codewords per block (K).
  public let codewordCount: Int
  /// Partial codes kept per vector while encoding (B); 1 is greedy, values below 1 become 1.
  public var beamWidth: Int {
    didSet { beamWidth = max(1, beamWidth) }
  }
  /// Lloyd iterations of each block's k-means.
  public var iterations: Int
  /// Seed of block m's k-means is `seed + m`.
  public var seed: UInt64
  /// Subsampling cap passed to k-means (faiss: 256 points per centroid); nil trains on all rows.
  public var maxPointsPerCentroid: Int?
  /// Codebooks [M, K, D] once trained.
  public private(set) var codebooks: Tensor?

  public var isTrained: Bool { codebooks != nil }

  /// An untrained residual quantizer.
  public init(
    dimension: Int, blockCount: Int, codewordCount: Int = 256, beamWidth: Int = 1, iterations: Int = 25,
    seed: UInt64 = 1234, maxPointsPerCentroid: Int? = 256
  ) throws {
    try checkSizes(
      op: "ResidualQuantizer", dimension: dimension, blocks: blockCount, codewords: codewordCount,
      iterations: iterations)
    guard beamWidth >= 1 else {
      throw QuantizationError.invalidArgument(
        op: "ResidualQuantizer", reason: "beam width must be at least 1, got \(beamWidth)")
    }
    self.dimension = dimension
    self.blockCount = blockCount
    self.codewordCount = codewordCount
    self.beamWidth = beamWidth
    self.iterations = iterations
    self.seed = seed
    self.maxPointsPerCentroid = maxPointsPerCentroid
  }

  public var layout: CodebookLayout {
    get throws { .additive(codebooks: try trainedCodebooks(op: "layout")) }
  }

  func trainedCodebooks(op: String) throws -> Tensor {
    guard let c = codebooks else { throw QuantizationError.notTrained(quantizer: name, op: "RQ.\(op)") }
    return c
  }

  // MARK: training

  @discardableResult
  public mutating func train(_ x: Tensor, control: TrainingControl) throws -> TrainingReport {
    let n = try checkMatrix(x, dimension: dimension, op: "RQ.train")
    guard n >= codewordCount else {
      throw QuantizationError.tooFewTrainingVectors(
        op: "RQ.train (K = \(codewordCount))", needed: codewordCount, got: n)
    }
    try checkFinite(x, op: "RQ.train")
    var report = TrainingReport()
    let blocks = blockCount
    let start = try ProgressiveQuantization.residualKMeans(
      x, blocks: blocks, codewords: codewordCount, seed: seed, iterations: iterations,
      maxPointsPerCentroid: maxPointsPerCentroid, shouldStop: control.shouldStop
    ) { b, it, objective in
      let step = TrainingProgress(phase: "block \(b + 1)/\(blocks)", iteration: it, objective: objective)
      report.steps.append(step)
      control.progress?(step)
    }
    if start.stopped { report.stopped = true }
    codebooks = try Tensor.stack(start.codebooks, axis: 0)
    return report
  }

  // MARK: encoding

  public func encode(_ x: Tensor) throws -> Codes {
    let books = try trainedCodebooks(op: "encode")
    let n = try checkMatrix(x, dimension: dimension, op: "RQ.encode")
    if n == 0 { return try Codes(count: 0, blockCount: blockCount, codewordCount: codewordCount) }
    let labels = RQBeamSearch(codebooks: books, beamWidth: beamWidth).encode(x, count: n)
    return try Codes.fromLabels(labels, count: n, blockCount: blockCount, codewordCount: codewordCount)
  }

  /// Sums one codeword per block. Codes with fewer blocks than M (a prefix, as
  /// `Codes.prefix(blocks:)` gives) decode with the first blocks only.
  public func decode(_ codes: Codes) throws -> Tensor {
    try CodebookLayout.additive(codebooks: trainedCodebooks(op: "decode")).decode(codes, op: "RQ.decode")
  }

  // MARK: persistence

  public var configuration: [String: String] {
    [
      "type": "rq", "dimension": "\(dimension)", "blockCount": "\(blockCount)", "codewordCount": "\(codewordCount)",
      "beamWidth": "\(beamWidth)", "iterations": "\(iterations)", "seed": "\(seed)",
      "maxPointsPerCentroid": maxPointsPerCentroid.map(String.init) ?? "none",
    ]
  }

  public func stateTensors() -> [(String, Tensor)] {
    codebooks.map { [("rq.codebooks", $0)] } ?? []
  }

  /// Rebuilds a residual quantizer from `configuration` and `stateTensors()` (untrained if the tensors are absent).
  public init(configuration c: [String: String], tensors: [String: Tensor]) throws {
    try self.init(
      dimension: c.int("dimension"), blockCount: c.int("blockCount"), codewordCount: c.int("codewordCount"),
      beamWidth: c.int("beamWidth", default: 1), iterations: c.int("iterations", default: 25),
      seed: c.uint64("seed", default: 1234), maxPointsPerCentroid: c.optionalInt("maxPointsPerCentroid", default: 256))
    if let books = try tensors.state("rq.codebooks", shape: [blockCount, codewordCount, dimension]) {
      try checkFinite(books, op: "rq.codebooks")
      codebooks = books
    }
  }
}
