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
    case fm5k
    case fmFull = "fm-full"
    case fmSmall = "fm-small"
    case fm5kValidation = "fm5k-val"
  }

  /// What a query searches the codes with. Both kinds are inner-product AQD over the same codes
  /// and lookup tables; they differ in the query vector.
  public enum QueryKind: String, CaseIterable, Sendable {
    /// The query's own real-valued feature (PAPER.md's AQD).
    case feature
    /// The classifier's weight row for the query's predicted class: the database ranks by the
    /// logit its reconstructions get for that class. Measured on FM-5k: mAP@all 0.81 where the
    /// feature query gives 0.77 on the same codes (docs/dpq.md).
    case predictedClass = "class"
  }

  /// How every method ranks the database in one block of the table: a query kind and a score.
  /// Each block holds one ranking for all methods, so rows compare like for like.
  public enum Ranking: String, CaseIterable, Sendable {
    /// The query's own feature, inner product with each reconstruction (the released code's AQD).
    case featureInnerProduct = "feature-ip"
    /// The query's own feature, squared L2 distance to each reconstruction (ADC, as faiss does).
    case featureL2 = "feature-l2"
    /// The classifier's weight row for the query's predicted class, inner product.
    case predictedClass = "class"

    public var queryKind: QueryKind { self == .predictedClass ? .predictedClass : .feature }
    public var metric: IndexMetric { self == .featureL2 ? .squaredL2 : .innerProduct }
    public var title: String {
      switch self {
      case .featureInnerProduct: return "feature queries, inner product"
      case .featureL2: return "feature queries, squared L2"
      case .predictedClass: return "class queries (the predicted class's classifier row), inner product"
      }
    }
  }

  public struct Options: Sendable {
    public var protocolName: ProtocolName = .fm5k
    public var seed: UInt64 = 7
    public var model = DPQConfiguration.recommended
    public var training = DPQTrainingOptions.recommended
    /// Random shift (pixels) applied to training images; 0 disables augmentation.
    public var augmentShift = 2
    /// Random horizontal flips of training images (garments are nearly mirror-symmetric).
    public var horizontalFlip = true
    /// The ranking of the main block (its rows carry the plain method names); every other
    /// ranking follows in a block of its own, its rows named "METHOD (ranking)".
    public var mainRanking: Ranking = .featureInnerProduct
    /// The split's seed, when it differs from `seed` (several training seeds on one split).
    public var splitSeed: UInt64? = nil
    /// Where to save the trained model (safetensors), if anywhere.
    public var modelPath: String? = nil
    /// Baselines: PQ/OPQ/RQ on learned features and PQ on raw pixels.
    public var baselines = true
    /// OPQ outer iterations (each trains a PQ).
    public var opqIterations = 10
    public var dataDirectory = FashionMNIST.defaultDirectory
    /// A training checkpoint to continue from (written with `training.checkpointPath`).
    public var resumePath: String? = nil
    /// A split of the user's own data to run on instead of `protocolName` (`dpq experiment
    /// --data`, `experiment(split)`). The model's backbone, input shape and classes follow the
    /// data (`configuration(_:fitting:)`); shifts and flips apply to images only.
    // Read-only once the run starts; Split holds tensors, which are not Sendable.
    nonisolated(unsafe) public var data: Split? = nil
    /// The reference settings: dpq's recipe (`DPQConfiguration.recommended`,
    /// `DPQTrainingOptions.recommended`) with 2-pixel shifts and horizontal flips, chosen on the
    /// FM-5k validation split (docs/dpq.md).
    public init() {}
  }

  /// One ranking's query vectors, and the suffix its rows carry outside the main block.
  struct QuerySet {
    let ranking: Ranking
    let vectors: Tensor
    var suffix: String
  }

  /// One method's row of the result table.
  public struct Row: Sendable {
    /// The method's name, with " (ranking)" outside the main block.
    public let method: String
    /// The method without the ranking ("DPQ", "PQ", ...).
    public var baseMethod: String = ""
    public var ranking: Ranking = .featureInnerProduct
    /// Each query's AP by bits (for paired comparisons).
    public var averagePrecisions: [Int: [Double]] = [:]
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
    /// The same by inner product: the reference of the feature-ip block.
    public var featureMAPInnerProduct: Double = .nan
    public var bits: [Int]
    public var notes: [String]
    /// DPQ minus the best of PQ, OPQ and RQ, per ranking and bits.
    public var comparisons: [Comparison] = []
    /// The rankings in table order (the main one first).
    public var rankings: [Ranking] = []
  }

  /// DPQ against the best baseline (by mAP) at one code length in one ranking: the paired
  /// difference of per-query APs.
  public struct Comparison: Sendable {
    public let ranking: Ranking
    public let bits: Int
    public let baseline: String
    public let difference: PairedDifference
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
  /// Where progress lines go: nowhere unless the host says (the command prints them, the
  /// language's experiment() hands them to the session's progress reporter, tests collect them);
  /// the library never writes to the terminal itself.
  public var report: (String) -> Void = { _ in }
  public var shouldStop: (@Sendable () -> Bool)? = nil

  public init(options: Options) { self.options = options }

  public func run() throws -> Result { try runKeepingArtifacts().result }

  /// Runs the experiment and keeps the model, the normalised split, and DPQ's index and evaluation.
  public func runKeepingArtifacts() throws -> (result: Result, artifacts: Artifacts) {
    let o = options
    let t0 = Date()
    let split = try o.data ?? ReferenceExperiment.protocolSplit(o)
    let modelConfiguration = try ReferenceExperiment.configuration(o.model, fitting: split.source)
    let train = split.train
    let query = split.query
    let database = split.database
    report("data: \(split) (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")

    // Normalise with the training set's statistics; every part uses the same numbers.
    let (mean, rawStd) = train.channelStatistics()
    let std = rawStd.map { $0 > 1e-12 ? $0 : 1 } // a constant channel (e.g. a CSV's blank pixel) stays 0, not NaN
    let normalisedSplit = try Split(
      name: split.name + " normalised", source: split.source.normalised(mean: mean, std: std),
      trainIndices: split.trainIndices, queryIndices: split.queryIndices,
      databaseIndices: split.databaseIndices)
    let trainX = normalisedSplit.train.features
    let queryX = normalisedSplit.query.features
    let databaseX = normalisedSplit.database.features

    // --- DPQ
    let model = try DPQModel(modelConfiguration, seed: o.seed)
    let trainer = try DPQTrainer(model: model, options: o.training)
    let images = train.features.rank == 4
    if images && (o.augmentShift > 0 || o.horizontalFlip) {
      let augmenter = try ImageAugmenter(maxShift: o.augmentShift, horizontalFlip: o.horizontalFlip, seed: o.seed &+ 99)
      trainer.augmenter = augmenter
    }
    if let path = o.resumePath { try trainer.resume(from: path) }
    let tTrain = Date()
    try trainer.fit(
      inputs: trainX, labels: train.labels, multiHot: normalisedSplit.train.multiHot,
      onEpoch: { line in
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
    // Multi-label data: the share of queries whose top-scoring class is one of theirs.
    let accuracy = try Tensor.withNoGrad {
      let predicted = try model.network.logits(features: queryFeatures).argmax(axis: 1)
      guard let hot = query.multiHot else { return try Metrics.accuracy(predicted: predicted, labels: query.labels) }
      let l = hot.shape[1]
      let hits = predicted.enumerated().filter { i, p in hot.scalars[i * l + p] != 0 }.count
      return Double(hits) / Double(max(1, query.count))
    }
    report(
      String(
        format: "DPQ: trained in %.1f s; query accuracy %.2f%%; database encoded at %.0f images/s",
        trainingSeconds, accuracy * 100, dpqEncodeRate))

    let relevance = Relevance(
      queries: try ReferenceExperiment.labelSets(query), database: try ReferenceExperiment.labelSets(database))
    let blocks = Array(1...modelConfiguration.blockCount)
    let bits = blocks.map { modelConfiguration.bits(blocks: $0) }
    var rows: [Row] = []

    // Every ranking, the main one first; each is one block of the table for every method.
    let classVectors = try model.classQueries(features: queryFeatures)
    let rankings = [o.mainRanking] + Ranking.allCases.filter { $0 != o.mainRanking }
    let sets = rankings.map { r in
      QuerySet(
        ranking: r, vectors: r.queryKind == .predictedClass ? classVectors : queryFeatures,
        suffix: r == o.mainRanking ? "" : " (\(r.rawValue))")
    }
    var dpqIndex: Index? = nil
    var dpqEvaluation: Evaluation? = nil
    for set in sets {
      let index = try Index(quantizer: model.quantizer, codes: databaseCodes, metric: set.ranking.metric)
      var (row, evaluation) = try evaluatedRow(
        "DPQ", set: set, index: index, queries: set.vectors, relevance: relevance,
        blocks: blocks, bits: bits)
      row.trainingSeconds = trainingSeconds
      row.encodingPerSecond = dpqEncodeRate
      rows.append(row)
      report(ReferenceExperiment.rowLine(row, bits: bits))
      if dpqIndex == nil { (dpqIndex, dpqEvaluation) = (index, evaluation) }
    }

    let featureMAP = try ExactSearch.meanAveragePrecision(
      queries: queryFeatures, database: databaseFeatures,
      relevance: relevance, metric: .squaredL2, shouldStop: shouldStop)
    let featureMAPInnerProduct = try ExactSearch.meanAveragePrecision(
      queries: queryFeatures, database: databaseFeatures,
      relevance: relevance, metric: .innerProduct, shouldStop: shouldStop)
    report(
      String(
        format: "unquantized features (exhaustive search): mAP %.4f by inner product, %.4f by squared L2",
        featureMAPInnerProduct, featureMAP))
    var notes = [
      "main block: \(o.mainRanking.title); the other blocks rank every method by the ranking their name gives",
      "in each block every method ranks its own reconstructions the same way (same query vectors, same score)",
      String(
        format:
          "exhaustive search on the unquantized features reaches mAP@all %.4f by inner product and %.4f by squared L2",
        featureMAPInnerProduct, featureMAP),
      "ties rank by database position",
    ]
    if o.baselines {
      let trainFeatures = try model.extractFeatures(trainX)
      rows += try baselineRows(
        trainFeatures: trainFeatures, databaseFeatures: databaseFeatures,
        querySets: sets, relevance: relevance, bits: bits)
      let pixels = try rawPixels(train: train, query: query, database: database)
      let l2 = sets.first { $0.ranking == .featureL2 }!
      let pixelQueries = [QuerySet(ranking: .featureL2, vectors: pixels.query, suffix: l2.suffix)]
      // PQ on the raw inputs: the PQ baseline's maker under its own name.
      let pq = baselines.first { $0.method == "PQ" }!
      let pqRaw = Baseline(method: "PQ-raw", onePerLength: true, make: pq.make)
      rows += try perLengthRows(
        pqRaw, train: pixels.train, database: pixels.database, querySets: pixelQueries,
        relevance: relevance, bits: bits)
      report(ReferenceExperiment.rowLine(rows[rows.count - 1], bits: bits))
      let rawWidth = pixels.train.shape[1]
      notes.append(
        "PQ, OPQ and RQ run on the DPQ model's learned features; PQ-raw on the \(rawWidth) raw input values (zero-padded to a multiple of M) with raw queries and squared L2, in the feature-l2 block"
      )
      notes.append(
        "PQ/OPQ train one model per code length (M = 1..4 subspaces); RQ, like DPQ, gives every length from one model")
      notes.append(
        "DPQ - best: DPQ's mAP minus the best of PQ, OPQ and RQ at that length in the same block, with the paired 95% t interval over the queries' APs"
      )
    }
    // Block by block, in ranking order.
    rows = rankings.flatMap { r in rows.filter { $0.ranking == r } }
    var result = Result(
      protocolName: o.data == nil ? o.protocolName.rawValue : "data", split: "\(split)", rows: rows, log: trainer.log,
      testAccuracy: accuracy, featureMAP: featureMAP, bits: bits, notes: notes)
    result.rankings = rankings
    result.featureMAPInnerProduct = featureMAPInnerProduct
    result.comparisons = try ReferenceExperiment.comparisons(rows: rows, rankings: rankings, bits: bits)
    return (result, Artifacts(model: model, split: normalisedSplit, index: dpqIndex!, evaluation: dpqEvaluation!))
  }

  /// The Fashion-MNIST split of `o.protocolName`.
  static func protocolSplit(_ o: Options) throws -> Split {
    let (trainPart, testPart) = try FashionMNIST.loadAll(directory: o.dataDirectory)
    let splitSeed = o.splitSeed ?? o.seed
    switch o.protocolName {
    case .fm5k: return try Splits.fashionMNIST5k(train: trainPart, test: testPart, seed: splitSeed)
    case .fmFull: return try Splits.fashionMNISTFull(train: trainPart, test: testPart, seed: splitSeed)
    case .fm5kValidation: return try Splits.fashionMNIST5kValidation(train: trainPart, test: testPart, seed: splitSeed)
    case .fmSmall:
      return try Splits.fashionMNISTSmall(
        train: trainPart, test: testPart, trainPerClass: 100,
        queryPerClass: 20, databaseSize: 5000, seed: splitSeed)
    }
  }

  /// `c` with the backbone, input shape, classes and label kind the data needs: items
  /// [1, 28, 28] take LeNet, [3, 32, 32] the CIFAR network, vectors [d] the MLP; a backbone that
  /// already fits is kept.
  public static func configuration(_ c: DPQConfiguration, fitting data: LabelledDataset) throws -> DPQConfiguration {
    var c = c
    let shape = data.itemShape
    // A backbone chosen for colour images of any size (AlexNet, ResNet-18) is kept when it
    // takes the data's items.
    var kept = c
    kept.inputShape = shape
    if [.alexnet, .resnet18].contains(c.backbone), (try? kept.validate()) != nil {
      kept.classCount = data.classCount
      kept.multiLabel = data.multiHot != nil
      return kept
    }
    switch shape {
    case [1, 28, 28]: c.backbone = .lenet
    case [3, 32, 32]: c.backbone = .cifar
    case _ where shape.count == 1: c.backbone = .mlp
    default:
      throw ExperimentError.invalidArgument(
        "no backbone takes items of shape [\(shape.map(String.init).joined(separator: ", "))]: LeNet takes [1, 28, 28], the CIFAR network [3, 32, 32], the MLP vectors [d], AlexNet and ResNet-18 colour images [3, h, w] (backbone alexnet or resnet18; or reshape the data)"
      )
    }
    c.inputShape = shape
    c.classCount = data.classCount
    c.multiLabel = data.multiHot != nil
    try c.validate()
    return c
  }

  /// Relevance labels: shared classes for multi-label data, the class otherwise.
  static func labelSets(_ d: LabelledDataset) throws -> LabelSets {
    if let hot = d.multiHot { return try LabelSets(multiHot: hot) }
    return try LabelSets(labels: d.labels)
  }

  /// mAP@all and P@100 of an index for every prefix in one pass, and top-100 search speed at the
  /// longest code.
  func evaluateRow(
    _ method: String, set: QuerySet, index: Index, queries: Tensor, relevance: Relevance, blocks: [Int], bits: [Int]
  ) throws -> Row {
    try evaluatedRow(method, set: set, index: index, queries: queries, relevance: relevance, blocks: blocks, bits: bits)
      .row
  }

  /// The row and the evaluation it was read from.
  func evaluatedRow(
    _ method: String, set: QuerySet, index: Index, queries: Tensor, relevance: Relevance, blocks: [Int],
    bits: [Int]
  ) throws -> (row: Row, evaluation: Evaluation) {
    let ev = try index.evaluate(
      queries: queries, relevance: relevance, blocksList: blocks, mapAt: nil,
      precisionAt: [100], method: method + set.suffix, shouldStop: shouldStop)
    var map: [Int: Double] = [:]
    var p100: [Int: Double] = [:]
    var aps: [Int: [Double]] = [:]
    for (b, bitCount) in zip(blocks, bits) {
      if let c = ev.codeLength(blocks: b) {
        map[bitCount] = c.meanAveragePrecision
        p100[bitCount] = c.precisionAt.first ?? .nan
        aps[bitCount] = c.averagePrecisions
      }
    }
    let t = Date()
    _ = try index.search(queries: queries, k: 100, blocks: blocks.last)
    let qps = Double(queries.shape[0]) / Date().timeIntervalSince(t)
    return (
      Row(
        method: method + set.suffix, baseMethod: method, ranking: set.ranking, averagePrecisions: aps, map: map,
        precisionAt100: p100, trainingSeconds: 0, encodingPerSecond: 0, queriesPerSecond: qps), ev
    )
  }

  /// A baseline of the comparison: how to make its untrained quantizer for vectors of `dimension`
  /// with `blocks` codes, and whether one model serves every code length through its prefixes
  /// (RQ, like DPQ) or each length gets a quantizer of its own (PQ, OPQ: M = 1..4 subspaces of
  /// 8 bits each, on vectors zero-padded to a multiple of M).
  struct Baseline {
    let method: String
    let onePerLength: Bool
    let make: (_ dimension: Int, _ blocks: Int) throws -> any VectorQuantizer
  }

  /// The baselines, in the order the experiment trains and reports them.
  var baselines: [Baseline] {
    let k = options.model.codewordCount
    let seed = options.seed
    let opqIterations = options.opqIterations
    return [
      Baseline(method: "PQ", onePerLength: true) { d, m in
        try ProductQuantizer(dimension: d, subspaceCount: m, codewordCount: k, seed: seed)
      },
      Baseline(method: "OPQ", onePerLength: true) { d, m in
        try OptimizedProductQuantizer(
          dimension: d, subspaceCount: m, codewordCount: k, outerIterations: opqIterations, seed: seed)
      },
      Baseline(method: "RQ", onePerLength: false) { d, m in
        try ResidualQuantizer(dimension: d, blockCount: m, codewordCount: k, seed: seed)
      },
    ]
  }

  func baselineRows(
    trainFeatures: Tensor, databaseFeatures: Tensor, querySets: [QuerySet],
    relevance: Relevance, bits: [Int]
  ) throws -> [Row] {
    var rows: [Row] = []
    for baseline in baselines {
      let r =
        baseline.onePerLength
        ? try perLengthRows(
          baseline, train: trainFeatures, database: databaseFeatures, querySets: querySets,
          relevance: relevance, bits: bits)
        : try prefixRows(
          baseline, train: trainFeatures, database: databaseFeatures, querySets: querySets,
          relevance: relevance, bits: bits)
      for row in r { report(ReferenceExperiment.rowLine(row, bits: bits)) }
      rows += r
    }
    return rows
  }

  /// One model with M blocks, every prefix ranked, one row per query set.
  func prefixRows(
    _ baseline: Baseline, train: Tensor, database: Tensor, querySets: [QuerySet], relevance: Relevance,
    bits: [Int]
  ) throws -> [Row] {
    let m = options.model.blockCount
    var quantizer = try baseline.make(train.shape[1], m)
    let t = Date()
    _ = try quantizer.train(train, control: TrainingControl(shouldStop: shouldStop))
    let trainSecs = Date().timeIntervalSince(t)
    let te = Date()
    let codes = try quantizer.encode(database)
    let rate = Double(database.shape[0]) / Date().timeIntervalSince(te)
    var rows: [Row] = []
    for set in querySets {
      var row = try evaluateRow(
        baseline.method, set: set, index: Index(quantizer: quantizer, codes: codes, metric: set.ranking.metric),
        queries: set.vectors, relevance: relevance, blocks: Array(1...m), bits: bits)
      row.trainingSeconds = trainSecs
      row.encodingPerSecond = rate
      rows.append(row)
    }
    return rows
  }

  /// A quantizer trained separately for each code length (M = 1..blocks subspaces of 8 bits), one
  /// row per query set.
  func perLengthRows(
    _ baseline: Baseline, train: Tensor, database: Tensor, querySets: [QuerySet], relevance: Relevance,
    bits: [Int]
  ) throws -> [Row] {
    let method = baseline.method
    var rows = querySets.map {
      Row(
        method: method + $0.suffix, baseMethod: method, ranking: $0.ranking, map: [:], precisionAt100: [:],
        trainingSeconds: 0, encodingPerSecond: 0, queriesPerSecond: 0)
    }
    for (i, b) in bits.enumerated() {
      let subspaces = i + 1
      let (tr, db) = try (padded(train, multipleOf: subspaces), padded(database, multipleOf: subspaces))
      let d = tr.shape[1]
      let t = Date()
      var quantizer = try baseline.make(d, subspaces)
      _ = try quantizer.train(tr, control: TrainingControl(shouldStop: shouldStop))
      let trainSeconds = Date().timeIntervalSince(t)
      let te = Date()
      let codes = try quantizer.encode(db)
      let encodeSeconds = Date().timeIntervalSince(te)
      for (j, set) in querySets.enumerated() {
        let index = try Index(quantizer: quantizer, codes: codes, metric: set.ranking.metric)
        let r = try evaluateRow(
          method, set: set, index: index, queries: padded(set.vectors, multipleOf: subspaces), relevance: relevance,
          blocks: [subspaces], bits: [b])
        rows[j].map[b] = r.map[b]
        rows[j].precisionAt100[b] = r.precisionAt100[b]
        rows[j].averagePrecisions[b] = r.averagePrecisions[b]
        rows[j].trainingSeconds += trainSeconds
        if i == bits.count - 1 {
          rows[j].queriesPerSecond = r.queriesPerSecond
          rows[j].encodingPerSecond = Double(db.shape[0]) / encodeSeconds
        }
      }
    }
    return rows
  }

  /// Raw pixel vectors [n, 784] of the three parts, unnormalised.
  func rawPixels(train: LabelledDataset, query: LabelledDataset, database: LabelledDataset) throws -> (
    train: Tensor, query: Tensor, database: Tensor
  ) {
    (
      try train.features.reshaped([train.count, -1]), try query.features.reshaped([query.count, -1]),
      try database.features.reshaped([database.count, -1])
    )
  }

  /// Zero-pads the columns of x to a multiple of m (PQ needs D divisible by M; zero columns change
  /// no distance).
  func padded(_ x: Tensor, multipleOf m: Int) throws -> Tensor {
    let d = x.shape[1]
    let extra = (m - d % m) % m
    guard extra > 0 else { return x }
    return try Tensor.concat([x, Tensor.zeros([x.shape[0], extra])], axis: 1)
  }

  /// DPQ minus the best of PQ, OPQ and RQ (by mAP) at every length of every ranking, paired
  /// over the queries.
  static func comparisons(rows: [Row], rankings: [Ranking], bits: [Int]) throws -> [Comparison] {
    var out: [Comparison] = []
    for r in rankings {
      guard let dpq = rows.first(where: { $0.ranking == r && $0.baseMethod == "DPQ" }) else { continue }
      let baselines = rows.filter { $0.ranking == r && ["PQ", "OPQ", "RQ"].contains($0.baseMethod) }
      for b in bits {
        guard let best = baselines.filter({ $0.map[b] != nil }).max(by: { $0.map[b]! < $1.map[b]! }),
          let a = dpq.averagePrecisions[b], let other = best.averagePrecisions[b]
        else { continue }
        out.append(
          Comparison(ranking: r, bits: b, baseline: best.baseMethod, difference: try PairedDifference(a, other)))
      }
    }
    return out
  }

  static func format(_ l: DPQEpochLog) -> String {
    var s = String(
      format: "epoch %3d  stage %d  cls %.4f  acc %5.1f%%", l.epoch, l.stage, l.classificationLoss, l.accuracy * 100)
    if l.stage == 2 {
      s += String(format: "  soft %.4f  hard %.4f  joint %.4f", l.softLoss, l.hardLoss, l.jointLoss)
      s += "  usage " + l.codewordUsage.map { String(format: "%.2f", $0) }.joined(separator: "/")
      s += "  distortion " + l.relativeDistortion.map { String(format: "%.3f", $0) }.joined(separator: "/")
    }
    s += String(format: "  lr %.4f  %.0f img/s", l.learningRate, l.imagesPerSecond)
    return s
  }

  static func rowLine(_ r: Row, bits: [Int]) -> String {
    "\(r.method): mAP "
      + bits.map { b in "\(b)b " + (r.map[b].map { String(format: "%.4f", $0) } ?? "-") }.joined(separator: "  ")
  }
}
