import DPQData
import DPQNN
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// dpq's reference experiment (PAPER.md, "FM-5k"): train DPQ on 5,000 Fashion-MNIST images, encode
/// the 69,000-image database, and compare DPQ with PQ, OPQ and RQ on the model's own learned
/// features and with PQ on raw pixels, on mAP@all at 8/16/24/32 bits, the same queries and metric.
public struct ReferenceExperiment {
  public enum ProtocolName: String, CaseIterable, Sendable {
    case fm5k, fmFull = "fm-full", fmSmall = "fm-small"
  }

  public struct Options: Sendable {
    public var protocolName: ProtocolName = .fm5k
    public var seed: UInt64 = 7
    public var model = DPQConfiguration()
    public var training = DPQTrainingOptions()
    /// Random shift (pixels) applied to training images; 0 disables augmentation.
    public var augmentShift = 2
    /// Random horizontal flips of training images (garments are nearly mirror-symmetric).
    public var horizontalFlip = false
    /// How DPQ ranks the database; nil = the training similarity's own (l2 -> squared L2, cosine
    /// and ip -> inner product).
    public var searchMetric: IndexMetric? = nil
    /// Where to save the trained model (safetensors), if anywhere.
    public var modelPath: String? = nil
    /// Baselines: PQ/OPQ/RQ on learned features and PQ on raw pixels.
    public var baselines = true
    /// OPQ outer iterations (each trains a PQ).
    public var opqIterations = 10
    public var dataDirectory = FashionMNIST.defaultDirectory
    /// A training checkpoint to continue from (written with `training.checkpointPath`).
    public var resumePath: String? = nil
    public init() {}

    /// The metric DPQ's index ranks by.
    public var resolvedSearchMetric: IndexMetric {
      searchMetric ?? (model.similarity == .negativeSquaredL2 ? .squaredL2 : .innerProduct)
    }
  }

  /// One method's row of the result table.
  public struct Row: Sendable {
    public let method: String
    /// mAP@all by code length in bits.
    public var map: [Int: Double]
    /// Precision@100 by bits.
    public var precisionAt100: [Int: Double]
    public var trainingSeconds: Double
    /// Database items encoded per second (features to codes; DPQ: images to codes).
    public var encodingPerSecond: Double
    /// Queries per second of top-100 search at the longest code.
    public var queriesPerSecond: Double
  }

  public struct Result: Sendable {
    public let protocolName: String
    public let split: String
    public var rows: [Row]
    public var log: [DPQEpochLog]
    public var testAccuracy: Double
    /// mAP@all of exhaustive L2 search on the unquantized features: the ceiling of every row
    /// that quantizes them.
    public var featureMAP: Double
    public var bits: [Int]
    public var notes: [String]
  }

  /// What a run leaves besides its table, for a caller that wants to look further (the
  /// language's `experiment` builtin): the trained model, the data as the model saw it, and
  /// DPQ's database index and evaluation.
  public struct Artifacts {
    public let model: DPQModel
    /// The protocol's split with every part normalised by the training part's per-channel
    /// statistics: the inputs the model was trained and evaluated on.
    public let split: Split
    /// DPQ's index of the database codes (the experiment's search metric), item i being
    /// `split.database` item i.
    public let index: Index
    /// DPQ's evaluation at every code length (mAP, P@100, precision-recall curves).
    public let evaluation: Evaluation
  }

  public let options: Options
  /// Where progress lines go (the command prints them; tests collect them).
  public var report: (String) -> Void = { print($0) }
  public var shouldStop: (() -> Bool)? = nil

  public init(options: Options) { self.options = options }

  public func run() throws -> Result { try runKeepingArtifacts().result }

  /// Runs the experiment and keeps the model, the normalised split, and DPQ's index and evaluation.
  public func runKeepingArtifacts() throws -> (result: Result, artifacts: Artifacts) {
    let o = options
    let t0 = Date()
    let (trainPart, testPart) = try FashionMNIST.loadAll(directory: o.dataDirectory)
    let split: Split
    switch o.protocolName {
    case .fm5k: split = try Splits.fashionMNIST5k(train: trainPart, test: testPart, seed: o.seed)
    case .fmFull: split = try Splits.fashionMNISTFull(train: trainPart, test: testPart, seed: o.seed)
    case .fmSmall: split = try Splits.fashionMNISTSmall(train: trainPart, test: testPart, trainPerClass: 100,
                                                        queryPerClass: 20, databaseSize: 5000, seed: o.seed)
    }
    let train = split.train, query = split.query, database = split.database
    report("data: \(split) (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")

    // Normalise with the training set's statistics; every part uses the same numbers.
    let (mean, std) = train.channelStatistics()
    let normalisedSplit = try Split(name: split.name + " normalised", source: split.source.normalised(mean: mean, std: std),
                                    trainIndices: split.trainIndices, queryIndices: split.queryIndices,
                                    databaseIndices: split.databaseIndices)
    let trainX = normalisedSplit.train.features
    let queryX = normalisedSplit.query.features
    let databaseX = normalisedSplit.database.features

    // --- DPQ
    let model = try DPQModel(o.model, seed: o.seed)
    let trainer = try DPQTrainer(model: model, options: o.training)
    if o.augmentShift > 0 || o.horizontalFlip {
      let augmenter = try ImageAugmenter(maxShift: o.augmentShift, horizontalFlip: o.horizontalFlip, seed: o.seed &+ 99)
      trainer.augmenter = augmenter
    }
    if let path = o.resumePath { try trainer.resume(from: path) }
    let tTrain = Date()
    try trainer.fit(inputs: trainX, labels: train.labels, onEpoch: { line in
      self.report(ReferenceExperiment.format(line))
    }, shouldStop: shouldStop)
    let trainingSeconds = Date().timeIntervalSince(tTrain)
    if let path = o.modelPath {
      try model.save(to: path)
      report("saved the model to \(path)")
    }

    let tEnc = Date()
    let databaseFeatures = try model.extractFeatures(databaseX, shouldStop: shouldStop)
    let databaseCodes = try model.encode(features: databaseFeatures)
    let dpqEncodeRate = Double(database.count) / Date().timeIntervalSince(tEnc)
    let queryFeatures = try model.extractFeatures(queryX)
    let accuracy = try Tensor.withNoGrad {
      try Metrics.accuracy(predicted: model.network.logits(features: queryFeatures).argmax(axis: 1), labels: query.labels)
    }
    report(String(format: "DPQ: trained in %.1f s; query accuracy %.2f%%; database encoded at %.0f images/s",
                  trainingSeconds, accuracy * 100, dpqEncodeRate))

    let relevance = Relevance(queries: try LabelSets(labels: query.labels), database: try LabelSets(labels: database.labels))
    let blocks = Array(1...o.model.blockCount)
    let bits = blocks.map { o.model.bits(blocks: $0) }
    var rows: [Row] = []

    let metric = o.resolvedSearchMetric
    let dpqIndex = try Index(model: model, codes: databaseCodes, metric: metric)
    var (dpqRow, dpqEvaluation) = try evaluatedRow("DPQ", index: dpqIndex, queries: queryFeatures, relevance: relevance,
                                                   blocks: blocks, bits: bits)
    dpqRow.trainingSeconds = trainingSeconds
    dpqRow.encodingPerSecond = dpqEncodeRate
    rows.append(dpqRow)
    report(ReferenceExperiment.rowLine(dpqRow, bits: bits))

    let featureMAP = try ExactSearch.meanAveragePrecision(queries: queryFeatures, database: databaseFeatures,
                                                          relevance: relevance, metric: .squaredL2, shouldStop: shouldStop)
    report(String(format: "unquantized features (exhaustive L2 search): mAP %.4f", featureMAP))
    var notes = ["DPQ ranks by \(metric == .squaredL2 ? "squared L2 distance" : "inner product") between the query's real-valued feature and the reconstructions (AQD)",
                 String(format: "exhaustive L2 search on the unquantized features reaches mAP@all %.4f", featureMAP),
                 "ties rank by database position"]
    if o.baselines {
      let trainFeatures = try model.extractFeatures(trainX)
      rows += try baselineRows(trainFeatures: trainFeatures, databaseFeatures: databaseFeatures,
                               queryFeatures: queryFeatures, relevance: relevance, bits: bits)
      let pixels = try rawPixels(train: train, query: query, database: database)
      rows.append(try pqRow("PQ-raw", train: pixels.train, database: pixels.database, queries: pixels.query,
                            relevance: relevance, bits: bits))
      report(ReferenceExperiment.rowLine(rows[rows.count - 1], bits: bits))
      notes.append("PQ, OPQ and RQ run on the DPQ model's learned features and rank by squared L2 (ADC); PQ-raw on 784 raw pixels (zero-padded to a multiple of M)")
      notes.append("PQ/OPQ train one model per code length (M = 1..4 subspaces); RQ, like DPQ, gives every length from one model")
    }
    let result = Result(protocolName: o.protocolName.rawValue, split: "\(split)", rows: rows, log: trainer.log,
                        testAccuracy: accuracy, featureMAP: featureMAP, bits: bits, notes: notes)
    return (result, Artifacts(model: model, split: normalisedSplit, index: dpqIndex, evaluation: dpqEvaluation))
  }

  /// mAP@all and P@100 of an index for every prefix in one pass, and top-100 search speed at the
  /// longest code.
  func evaluateRow(_ method: String, index: Index, queries: Tensor, relevance: Relevance, blocks: [Int], bits: [Int]) throws -> Row {
    try evaluatedRow(method, index: index, queries: queries, relevance: relevance, blocks: blocks, bits: bits).row
  }

  /// The row and the evaluation it was read from.
  func evaluatedRow(_ method: String, index: Index, queries: Tensor, relevance: Relevance, blocks: [Int],
                    bits: [Int]) throws -> (row: Row, evaluation: Evaluation) {
    let ev = try index.evaluate(queries: queries, relevance: relevance, blocksList: blocks, mapAt: nil,
                                precisionAt: [100], method: method, shouldStop: shouldStop)
    var map: [Int: Double] = [:], p100: [Int: Double] = [:]
    for (b, bitCount) in zip(blocks, bits) {
      if let c = ev.codeLength(blocks: b) { map[bitCount] = c.meanAveragePrecision; p100[bitCount] = c.precisionAt.first ?? .nan }
    }
    let t = Date()
    _ = try index.search(queries: queries, k: 100, blocks: blocks.last)
    let qps = Double(queries.shape[0]) / Date().timeIntervalSince(t)
    return (Row(method: method, map: map, precisionAt100: p100, trainingSeconds: 0, encodingPerSecond: 0, queriesPerSecond: qps), ev)
  }

  func baselineRows(trainFeatures: Tensor, databaseFeatures: Tensor, queryFeatures: Tensor,
                    relevance: Relevance, bits: [Int]) throws -> [Row] {
    var rows: [Row] = []
    rows.append(try pqRow("PQ", train: trainFeatures, database: databaseFeatures, queries: queryFeatures,
                          relevance: relevance, bits: bits))
    report(ReferenceExperiment.rowLine(rows[0], bits: bits))
    rows.append(try pqRow("OPQ", train: trainFeatures, database: databaseFeatures, queries: queryFeatures,
                          relevance: relevance, bits: bits, optimised: true))
    report(ReferenceExperiment.rowLine(rows[1], bits: bits))

    // RQ: one model, every prefix, like DPQ.
    let d = trainFeatures.shape[1], m = options.model.blockCount
    var rq = try ResidualQuantizer(dimension: d, blockCount: m, codewordCount: options.model.codewordCount, seed: options.seed)
    let t = Date()
    _ = try rq.train(trainFeatures, control: TrainingControl(shouldStop: shouldStop))
    let trainSecs = Date().timeIntervalSince(t)
    let te = Date()
    let codes = try rq.encode(databaseFeatures)
    let rate = Double(databaseFeatures.shape[0]) / Date().timeIntervalSince(te)
    var row = try evaluateRow("RQ", index: Index(quantizer: rq, codes: codes, metric: .squaredL2), queries: queryFeatures,
                              relevance: relevance, blocks: Array(1...m), bits: bits)
    row.trainingSeconds = trainSecs
    row.encodingPerSecond = rate
    rows.append(row)
    report(ReferenceExperiment.rowLine(row, bits: bits))
    return rows
  }

  /// PQ (or OPQ) trained separately for each code length: M = 1..blocks subspaces of 8 bits.
  func pqRow(_ method: String, train: Tensor, database: Tensor, queries: Tensor, relevance: Relevance,
             bits: [Int], optimised: Bool = false) throws -> Row {
    var row = Row(method: method, map: [:], precisionAt100: [:], trainingSeconds: 0, encodingPerSecond: 0, queriesPerSecond: 0)
    let k = options.model.codewordCount
    for (i, b) in bits.enumerated() {
      let subspaces = i + 1
      let (tr, db, qs) = try (padded(train, multipleOf: subspaces), padded(database, multipleOf: subspaces),
                              padded(queries, multipleOf: subspaces))
      let d = tr.shape[1]
      let t = Date()
      let index: Index
      var encodeSeconds = 0.0
      if optimised {
        var q = try OptimizedProductQuantizer(dimension: d, subspaceCount: subspaces, codewordCount: k,
                                          outerIterations: options.opqIterations, seed: options.seed)
        _ = try q.train(tr, control: TrainingControl(shouldStop: shouldStop))
        row.trainingSeconds += Date().timeIntervalSince(t)
        let te = Date()
        let codes = try q.encode(db)
        encodeSeconds = Date().timeIntervalSince(te)
        index = try Index(quantizer: q, codes: codes, metric: .squaredL2)
      } else {
        var q = try ProductQuantizer(dimension: d, subspaceCount: subspaces, codewordCount: k, seed: options.seed)
        _ = try q.train(tr, control: TrainingControl(shouldStop: shouldStop))
        row.trainingSeconds += Date().timeIntervalSince(t)
        let te = Date()
        let codes = try q.encode(db)
        encodeSeconds = Date().timeIntervalSince(te)
        index = try Index(quantizer: q, codes: codes, metric: .squaredL2)
      }
      let r = try evaluateRow(method, index: index, queries: qs, relevance: relevance, blocks: [subspaces], bits: [b])
      row.map[b] = r.map[b]
      row.precisionAt100[b] = r.precisionAt100[b]
      if i == bits.count - 1 {
        row.queriesPerSecond = r.queriesPerSecond
        row.encodingPerSecond = Double(db.shape[0]) / encodeSeconds
      }
    }
    return row
  }

  /// Raw pixel vectors [n, 784] of the three parts, unnormalised.
  func rawPixels(train: LabelledDataset, query: LabelledDataset, database: LabelledDataset) throws -> (train: Tensor, query: Tensor, database: Tensor) {
    (try train.features.reshaped([train.count, -1]), try query.features.reshaped([query.count, -1]),
     try database.features.reshaped([database.count, -1]))
  }

  /// Zero-pads the columns of x to a multiple of m (PQ needs D divisible by M; zero columns change
  /// no distance).
  func padded(_ x: Tensor, multipleOf m: Int) throws -> Tensor {
    let d = x.shape[1]
    let extra = (m - d % m) % m
    guard extra > 0 else { return x }
    return try Tensor.concat([x, Tensor.zeros([x.shape[0], extra])], axis: 1)
  }

  static func format(_ l: DPQEpochLog) -> String {
    var s = String(format: "epoch %3d  stage %d  cls %.4f  acc %5.1f%%", l.epoch, l.stage, l.classificationLoss, l.accuracy * 100)
    if l.stage == 2 {
      s += String(format: "  soft %.4f  hard %.4f  joint %.4f", l.softLoss, l.hardLoss, l.jointLoss)
      s += "  usage " + l.codewordUsage.map { String(format: "%.2f", $0) }.joined(separator: "/")
      s += "  distortion " + l.relativeDistortion.map { String(format: "%.3f", $0) }.joined(separator: "/")
    }
    s += String(format: "  lr %.4f  %.0f img/s", l.learningRate, l.imagesPerSecond)
    return s
  }

  static func rowLine(_ r: Row, bits: [Int]) -> String {
    "\(r.method): mAP " + bits.map { b in "\(b)b " + (r.map[b].map { String(format: "%.4f", $0) } ?? "-") }.joined(separator: "  ")
  }
}
