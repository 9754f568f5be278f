import DPQNN
import DPQTensor

/// The quantizer part of a DPQ model behind the `VectorQuantizer` protocol: M full-dimensional
/// codebooks applied to successive residuals with the model's similarity (PAPER.md, Model).
///
/// `DPQModel.quantizer` gives a trained model's codebooks this way, so anything written for PQ,
/// OPQ and RQ (indexes, files, benchmarks) takes DPQ too. `train` learns codebooks for fixed
/// vectors the way DPQ's second stage does when the quantization losses train the codebooks only
/// (the default): residual k-means, then Adam on `L_soft + mu L_hard + nu L_joint` over shuffled
/// mini-batches. What it cannot do is move the vectors: that needs the network (`DPQTrainer`).
public struct DPQQuantizer: VectorQuantizer, Sendable {
  public var name: String { "DPQ" }
  public let dimension: Int
  public let blockCount: Int
  public let codewordCount: Int
  /// How a residual picks its codeword (and weights the soft assignment).
  public var similarity: Similarity
  /// Softmax temperature of the soft quantization.
  public var gamma: Float
  /// Weights of L_hard and L_joint in the quantization loss.
  public var mu: Float
  public var nu: Float
  /// Passes of Adam over the training vectors after the k-means start (0: k-means only).
  public var epochs: Int
  public var batchSize: Int
  public var learningRate: Float
  /// Seeds the k-means of block m (`seed + m`) and the batch order.
  public var seed: UInt64
  /// Codebooks [M, K, D] once trained.
  public private(set) var codebooks: Tensor?

  public var isTrained: Bool { codebooks != nil }

  /// An untrained DPQ quantizer; the defaults are `DPQConfiguration`'s and `DPQTrainingOptions`'s.
  public init(
    dimension: Int, blockCount: Int, codewordCount: Int = 256, similarity: Similarity = .negativeSquaredL2,
    gamma: Float = 1, mu: Float = 1, nu: Float = 0.1, epochs: Int = 10, batchSize: Int = 128,
    learningRate: Float = 1e-3, seed: UInt64 = 1234
  ) throws {
    try checkSizes(
      op: "DPQQuantizer", dimension: dimension, blocks: blockCount, codewords: codewordCount, iterations: 1)
    guard epochs >= 0, batchSize > 0, learningRate > 0, gamma > 0 else {
      throw QuantizationError.invalidArgument(
        op: "DPQQuantizer",
        reason:
          "epochs must be >= 0 and batch size, learning rate and gamma > 0 (got \(epochs), \(batchSize), \(learningRate), \(gamma))"
      )
    }
    self.dimension = dimension
    self.blockCount = blockCount
    self.codewordCount = codewordCount
    self.similarity = similarity
    self.gamma = gamma
    self.mu = mu
    self.nu = nu
    self.epochs = epochs
    self.batchSize = batchSize
    self.learningRate = learningRate
    self.seed = seed
  }

  /// The trained quantizer of a model: its codebooks (a copy) and its similarity and loss weights.
  public init(model: DPQModel) throws {
    let c = model.configuration
    try self.init(
      dimension: c.featureDimension, blockCount: c.blockCount, codewordCount: c.codewordCount,
      similarity: c.similarity, gamma: c.gamma, mu: c.mu, nu: c.nu)
    codebooks = try model.stackedCodebooks()
  }

  public var layout: CodebookLayout {
    get throws { .additive(codebooks: try trainedCodebooks(op: "layout")) }
  }

  func trainedCodebooks(op: String) throws -> Tensor {
    guard let c = codebooks else { throw QuantizationError.notTrained(quantizer: name, op: "DPQ.\(op)") }
    return c
  }

  func blockList(_ books: Tensor) throws -> [Tensor] {
    try (0..<blockCount).map { try books.slice(axis: 0, range: $0..<($0 + 1)).reshaped([codewordCount, dimension]) }
  }

  // MARK: training

  @discardableResult
  public mutating func train(_ x: Tensor, control: TrainingControl) throws -> TrainingReport {
    let n = try checkMatrix(x, dimension: dimension, op: "DPQ.train")
    guard n >= codewordCount else {
      throw QuantizationError.tooFewTrainingVectors(
        op: "DPQ.train (K = \(codewordCount))", needed: codewordCount, got: n)
    }
    try checkFinite(x, op: "DPQ.train")
    let data = x.detached()
    var report = TrainingReport()

    // The start: residual k-means, block by block (as DPQTrainer.initialiseCodebooks).
    let blocks = blockCount
    let start = try ProgressiveQuantization.residualKMeans(
      data, blocks: blocks, codewords: codewordCount, seed: seed,
      shouldStop: control.shouldStop
    ) { m, it, objective in
      let step = TrainingProgress(phase: "block \(m + 1)/\(blocks)", iteration: it, objective: objective)
      report.steps.append(step)
      control.progress?(step)
    }
    if start.stopped { report.stopped = true }
    let books = start.codebooks.enumerated().map { Parameter($1, name: "\($0)") }

    // Then the codebook step of DPQ's second stage on the fixed vectors.
    let adam = try Adam(groups: [ParameterGroup(parameters: books, learningRate: learningRate)])
    var rng = RandomGenerator(seed: seed &+ 7_777)
    epochLoop: for epoch in 0..<(report.stopped ? 0 : epochs) {
      let order = rng.permutation(n)
      var total = 0.0
      for start in stride(from: 0, to: n, by: batchSize) {
        if control.stopRequested {
          report.stopped = true
          break epochLoop
        }
        let idx = Array(order[start..<min(n, start + batchSize)])
        let batch = try data.indexSelect(axis: 0, indices: idx)
        let out = try ProgressiveQuantization.forward(
          batch, codebooks: books.map(\.value), similarity: similarity, gamma: gamma)
        let l = try ProgressiveQuantization.losses(features: batch, out)
        let loss = try l.soft + l.hard * mu + l.joint * nu
        adam.zeroGrad()
        try loss.backward()
        let value = try loss.item()
        guard value.isFinite else {
          throw QuantizationError.invalidArgument(
            op: "DPQ.train",
            reason: "the quantization loss became \(value) in epoch \(epoch + 1); lower the learning rate")
        }
        try adam.step()
        total += Double(value) * Double(idx.count)
      }
      let step = TrainingProgress(phase: "codebooks", iteration: epoch, objective: total / Double(n))
      report.steps.append(step)
      control.progress?(step)
    }
    codebooks = try Tensor.stack(books.map { $0.value.detached() }, axis: 0)
    return report
  }

  // MARK: encoding

  public func encode(_ x: Tensor) throws -> Codes {
    let books = try trainedCodebooks(op: "encode")
    _ = try checkMatrix(x, dimension: dimension, op: "DPQ.encode")
    return try ProgressiveQuantization.encode(x, codebooks: blockList(books), similarity: similarity)
  }

  /// Sums one codeword per block; codes of fewer blocks decode with the first blocks only.
  public func decode(_ codes: Codes) throws -> Tensor {
    try CodebookLayout.additive(codebooks: trainedCodebooks(op: "decode")).decode(codes, op: "DPQ.decode")
  }

  // MARK: persistence

  public var configuration: [String: String] {
    [
      "type": "dpq", "dimension": "\(dimension)", "blockCount": "\(blockCount)", "codewordCount": "\(codewordCount)",
      "similarity": similarity.rawValue, "gamma": "\(gamma)", "mu": "\(mu)", "nu": "\(nu)", "epochs": "\(epochs)",
      "batchSize": "\(batchSize)", "learningRate": "\(learningRate)", "seed": "\(seed)",
    ]
  }

  public func stateTensors() -> [(String, Tensor)] {
    codebooks.map { [("dpq.codebooks", $0)] } ?? []
  }

  /// Rebuilds a DPQ quantizer from `configuration` and `stateTensors()` (untrained if the tensors are absent).
  public init(configuration c: [String: String], tensors: [String: Tensor]) throws {
    let sim = c["similarity"] ?? Similarity.negativeSquaredL2.rawValue
    guard let similarity = Similarity(rawValue: sim) else {
      throw QuantizationError.invalidConfiguration(
        key: "similarity", value: sim,
        reason: "expected one of \(Similarity.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    try self.init(
      dimension: c.int("dimension"), blockCount: c.int("blockCount"), codewordCount: c.int("codewordCount"),
      similarity: similarity, gamma: c.float("gamma", default: 1), mu: c.float("mu", default: 1),
      nu: c.float("nu", default: 0.1), epochs: c.int("epochs", default: 10),
      batchSize: c.int("batchSize", default: 128),
      learningRate: c.float("learningRate", default: 1e-3), seed: c.uint64("seed", default: 1234))
    if let books = try tensors.state("dpq.codebooks", shape: [blockCount, codewordCount, dimension]) {
      try checkFinite(books, op: "dpq.codebooks")
      codebooks = books
    }
  }
}

extension DPQModel {
  /// The model's quantizer part (a copy of its codebooks) behind the `VectorQuantizer` protocol.
  public var quantizer: DPQQuantizer {
    get throws { try DPQQuantizer(model: self) }
  }
}
