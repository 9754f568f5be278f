import ArgumentParser
import CReadline
import DPQData
import DPQExperiment
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq experiment fm5k`: the reference experiment of PAPER.md, one table and optionally JSON.
struct ExperimentCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "experiment",
    abstract: "Train DPQ on a reference protocol and compare it with PQ, OPQ and RQ on mAP@all.")

  @Argument(
    help:
      "Protocol: fm5k (5,000 training images; the default), fm-full (60,000), fm-small (1,000; quick), or fm5k-val (FM-5k's training set; queries and database from the other training images, for choosing settings). Not with --data."
  )
  var protocolName: String?
  @Option(
    help:
      "Run on your own labelled data instead of a protocol: a .csv/.tsv (label in the last column, or --label-column), a .npy/.fvecs/.bvecs of items with --labels, IDX images (*-idx3-ubyte) with --labels, or a folder of PNG/JPEG images with one subfolder per class."
  )
  var data: String?
  @Option(
    help:
      "Labels of --data: a .npy of class indices (or [n, L] 0/1 rows), an IDX label file, or a text file of 0/1 rows.")
  var labels: String?
  @Option(help: "The label column of a CSV given with --data (0-based; -1: the last).") var labelColumn = -1
  @Option(help: "Reshape every item of --data, e.g. 1,28,28 to treat 784 CSV columns as images.") var shape: String?
  @Option(help: "An image folder given as --data: resize every image to HEIGHT,WIDTH (default: their own size).")
  var imageSize: String?
  @Option(help: "An image folder given as --data: 1 (grey) or 3 (RGB, the default) channels.") var channels: Int?
  @Option(
    help:
      "Training items per class drawn from --data (multi-label data: in total); default: half of the smallest class, at most 500."
  )
  var train: Int?
  @Option(
    help:
      "Queries per class drawn from --data (multi-label data: in total); default: a tenth of the smallest class, 1 to 100."
  )
  var queries: Int?
  @Option(help: "Keep a seeded sample of this many database items of --data.") var database: Int?
  @Option(help: "Feature dimension D of the model.") var dim: Int?
  @Option(help: "Quantization blocks M (codes of 1..M blocks are evaluated).") var blocks: Int?
  @Option(help: "Codewords K per block (log2 K bits a block).") var codewords: Int?
  @Option(help: "Training epochs.") var epochs: Int?
  @Option(help: "Mini-batch size.") var batch: Int?
  @Option(help: "Seed of the split, the initialisation and the batches.") var seed: UInt64 = 7
  @Option(help: "Seed of the split alone (default: --seed), to run the seeds of one split as separate processes.")
  var splitSeed: UInt64?
  @Option(help: "Train this many seeds (seed, seed+1, ...) on the split of --seed; cells give mean and sd.") var seeds =
    1
  @Option(help: "Training mode: two_stage or end_to_end.") var mode: String?
  @Option(help: "Similarity: cosine, l2 or ip.") var similarity: String?
  @Option(help: "Softmax temperature gamma.") var gamma: Float?
  @Option(help: "Network learning rate (SGD, cosine decay).") var learningRate: Float?
  @Option(help: "Codebook learning rate (Adam).") var codebookLearningRate: Float?
  @Option(help: "Codebook initialisation: kmeans or random.") var codebookInit: String?
  @Option(help: "Random shift of training images in pixels (0: no augmentation).") var augment: Int?
  @Option(help: "Clip the global gradient norm to this value before each step (default: no clipping).")
  var clipGradient: Float?
  @Option(help: "Write a training checkpoint to this file after every --checkpoint-every epochs.")
  var checkpoint: String?
  @Option(help: "Epochs between checkpoints.") var checkpointEvery = 1
  @Option(help: "Continue training from this checkpoint (same protocol, seed, epochs and batch).")
  var resume: String?
  @Flag(inversion: .prefixedNo, help: "Flip training images horizontally at random (default: on).") var flip = true
  @Option(help: "Weight tau of the quantization loss (PAPER.md).") var tau: Float?
  @Option(help: "Dropout rate before the feature layer.") var dropout: Float?
  @Option(help: "Label smoothing of the classification loss.") var labelSmoothing: Float?
  @Option(help: "Weight decay of the network optimizer.") var weightDecay: Float?
  @Option(help: "Epochs of stage 1 (classification only; default: half the epochs).") var warmup: Int?
  @Option(
    help:
      "The main block's query vector: feature (the query's own feature, the paper's AQD; default) or class (the classifier's row for the predicted class); every ranking is reported, one block each."
  ) var query: String?
  @Option(help: "The main block's score for feature queries: ip (default) or l2.") var searchMetric: String?
  @Option(help: "Save the trained DPQ model to this safetensors file.") var saveModel: String?
  @Flag(inversion: .prefixedNo, help: "BatchNorm in the backbone (default: on).") var batchNorm = true
  @Flag(inversion: .prefixedNo, help: "Let the quantization losses reach the network (end-to-end gradients).")
  var endToEndGradients: Bool?
  @Option(help: "Network optimizer: sgd or adam.") var networkOptimizer: String?
  @Option(help: "Weight lambda_q of the classification of every soft prefix reconstruction (0: none).")
  var prefixWeight: Float?
  @Option(help: "Weight rho of the ranking of every hard prefix reconstruction by each feature of the batch (0: none).")
  var rankingWeight: Float?
  @Option(help: "Scale s of the ranking term's scores s * <x_i/|x_i|, Xh_m[j]>.") var rankingScale: Float?
  @Flag(inversion: .prefixedNo, help: "Let the prefix classification reach the network through the features.")
  var prefixEndToEnd: Bool?
  @Flag(
    inversion: .prefixedNo, help: "Let the ranking term reach the network through the queries (not only the codebooks)."
  )
  var rankingEndToEnd: Bool?
  @Flag(
    inversion: .prefixedNo,
    help: "After each stage-2 epoch but the last, put every codeword no item chose on the residual of a random item.")
  var reviveCodewords: Bool?
  @Flag(help: "Also classify the hard reconstruction.") var classifyReconstruction = false
  @Flag(help: "Skip the PQ/OPQ/RQ baselines.") var noBaselines = false
  @Option(help: "Write the results as JSON to this file.") var json: String?

  func run() throws {
    let protocolText = protocolName ?? "fm5k"
    guard let proto = ReferenceExperiment.ProtocolName(rawValue: protocolText) else {
      throw ValidationError(
        "unknown protocol '\(protocolText)' (known: \(ReferenceExperiment.ProtocolName.allCases.map(\.rawValue).joined(separator: ", ")))"
      )
    }
    var o = ReferenceExperiment.Options()
    o.protocolName = proto
    o.seed = seed
    o.splitSeed = splitSeed
    if let data {
      guard protocolName == nil else { throw ValidationError("give a protocol or --data, not both") }
      o.data = try ExperimentCommand.split(
        data, labels: labels, labelColumn: labelColumn, shape: shape, train: train,
        queries: queries, database: database, seed: splitSeed ?? seed,
        images: ExperimentCommand.imageTransform(size: imageSize, channels: channels))
    } else if labels != nil || shape != nil || train != nil || queries != nil || database != nil || imageSize != nil
      || channels != nil
    {
      throw ValidationError(
        "--labels, --shape, --train, --queries and --database describe --data; the protocols fix their own split")
    }
    if let dim { o.model.featureDimension = dim }
    if let blocks { o.model.blockCount = blocks }
    if let codewords { o.model.codewordCount = codewords }
    do { try o.model.validate() } catch { throw ValidationError("\(error)") }
    o.training.seed = seed
    if let epochs { o.training.epochs = epochs }
    if let batch { o.training.batchSize = batch }
    if let mode {
      guard let m = DPQTrainingOptions.Mode(rawValue: mode) else {
        throw ValidationError("unknown mode '\(mode)' (two_stage, end_to_end)")
      }
      o.training.mode = m
    }
    if let similarity {
      guard let s = Similarity(rawValue: similarity) else {
        throw ValidationError("unknown similarity '\(similarity)' (cosine, l2, ip)")
      }
      o.model.similarity = s
    }
    if let gamma { o.model.gamma = gamma }
    if let learningRate { o.training.networkLearningRate = learningRate }
    if let codebookLearningRate { o.training.codebookLearningRate = codebookLearningRate }
    if let codebookInit {
      guard let c = DPQTrainingOptions.CodebookInitialisation(rawValue: codebookInit) else {
        throw ValidationError("unknown codebook init '\(codebookInit)' (kmeans, random)")
      }
      o.training.codebookInitialisation = c
    }
    if let augment { o.augmentShift = augment }
    if let clipGradient {
      guard clipGradient > 0, clipGradient.isFinite else {
        throw ValidationError("--clip-gradient must be positive (got \(clipGradient))")
      }
      o.training.gradientClipNorm = clipGradient
    }
    if let checkpoint {
      guard checkpointEvery > 0 else {
        throw ValidationError("--checkpoint-every must be positive (got \(checkpointEvery))")
      }
      o.training.checkpointPath = checkpoint
      o.training.checkpointEvery = checkpointEvery
    }
    o.resumePath = resume
    o.horizontalFlip = flip
    if let tau { o.model.tau = tau }
    if let dropout { o.model.dropout = dropout }
    if let labelSmoothing { o.training.labelSmoothing = labelSmoothing }
    if let weightDecay { o.training.weightDecay = weightDecay }
    if let warmup { o.training.warmupEpochs = warmup }
    if query != nil || searchMetric != nil {
      let kind = query ?? "feature"
      switch (kind, searchMetric ?? "ip") {
      case ("class", "ip"): o.mainRanking = .predictedClass
      case ("feature", "ip"): o.mainRanking = .featureInnerProduct
      case ("feature", "l2"): o.mainRanking = .featureL2
      case ("class", _):
        throw ValidationError("class queries rank by inner product (a logit); --search-metric l2 needs --query feature")
      case (_, "ip"), (_, "l2"): throw ValidationError("unknown query kind '\(kind)' (class, feature)")
      default: throw ValidationError("unknown search metric '\(searchMetric ?? "")' (l2, ip)")
      }
    }
    o.modelPath = saveModel
    o.model.batchNorm = batchNorm
    o.model.classifyReconstruction = classifyReconstruction
    if let endToEndGradients { o.training.quantizationReachesNetwork = endToEndGradients }
    if let prefixEndToEnd { o.training.prefixClassificationReachesNetwork = prefixEndToEnd }
    if let prefixWeight {
      guard prefixWeight >= 0, prefixWeight.isFinite else {
        throw ValidationError("--prefix-weight must be >= 0 (got \(prefixWeight))")
      }
      o.training.prefixClassificationWeight = prefixWeight
    }
    if let rankingWeight {
      guard rankingWeight >= 0, rankingWeight.isFinite else {
        throw ValidationError("--ranking-weight must be >= 0 (got \(rankingWeight))")
      }
      o.training.rankingWeight = rankingWeight
    }
    if let rankingEndToEnd { o.training.rankingReachesNetwork = rankingEndToEnd }
    if let reviveCodewords { o.training.reviveUnusedCodewords = reviveCodewords }
    if let rankingScale {
      guard rankingScale > 0, rankingScale.isFinite else {
        throw ValidationError("--ranking-scale must be positive (got \(rankingScale))")
      }
      o.training.rankingScale = rankingScale
    }
    if let networkOptimizer {
      guard let n = DPQTrainingOptions.NetworkOptimizer(rawValue: networkOptimizer) else {
        throw ValidationError("unknown network optimizer '\(networkOptimizer)' (sgd, adam)")
      }
      o.training.networkOptimizer = n
    }
    o.baselines = !noBaselines
    setvbuf(dpq_stdout(), nil, _IOLBF, 0) // progress lines appear at once even when piped
    print(
      "dpq \(DPQCommand.version) experiment \(o.data == nil ? proto.rawValue : data ?? ""); OpenBLAS \(BLAS.coreName), \(engineThreadCount) threads"
    )
    guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1 (got \(seeds))") }
    if let json { try ExperimentCommand.checkWritable(json) }
    var experiment = ReferenceExperiment(options: o)
    experiment.report = { print($0) }
    if seeds > 1 {
      let summary = try experiment.runSeeds(seeds)
      print()
      print(ExperimentCommand.table(summary))
      for n in summary.results[0].notes { print("note: \(n)") }
      if let json {
        try ReferenceExperiment.writeJSON(summary, options: o, to: json)
        print("wrote \(json)")
      }
      return
    }
    let result = try experiment.run()
    print()
    print(ExperimentCommand.table(result))
    for n in result.notes { print("note: \(n)") }
    if let json {
      try ReferenceExperiment.writeJSON(result, options: o, to: json)
      print("wrote \(json)")
    }
  }

  /// The split of a user's data file: `Splits.retrieval`'s draw, items reshaped by `shape`.
  static func split(
    _ path: String, labels: String?, labelColumn: Int, shape: String?, train: Int?, queries: Int?,
    database: Int?, seed: UInt64, images: ImageTransform? = nil
  ) throws -> Split {
    let itemShape = try shape.map { try integers($0, flag: "--shape", example: "1,28,28") }
    let dataset = try DatasetFile.load(
      path, labels: labels, labelColumn: .index(labelColumn), shape: itemShape, images: images)
    return try Splits.retrieval(dataset, train: train, query: queries, seed: seed, databaseLimit: database)
  }

  /// Positive integers separated by commas.
  static func integers(_ text: String, flag: String, example: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) > 0 }) else {
      throw ValidationError("\(flag) must be positive integers separated by commas, e.g. \(example) (got '\(text)')")
    }
    return parts.map { $0! }
  }

  /// How an image folder given as --data is decoded; nil keeps the default (RGB, own size).
  static func imageTransform(size: String?, channels: Int?) throws -> ImageTransform? {
    guard size != nil || channels != nil else { return nil }
    var t = ImageTransform(channels: channels ?? 3)
    if let size {
      let hw = try integers(size, flag: "--image-size", example: "28,28")
      guard hw.count == 2 else { throw ValidationError("--image-size takes HEIGHT,WIDTH (got '\(size)')") }
      t.size = hw
    }
    do { try t.validate() } catch { throw ValidationError("\(error)") }
    return t
  }

  /// Refuses an output path whose directory cannot take a file now, before the long run.
  static func checkWritable(_ path: String) throws {
    // a FIFO, device or directory at the path itself is refused now too, not after the run
    do {
      try AtomicWriter.checkDestination(path)
    } catch DataError.writeFailed(_, let reason) where !reason.hasPrefix("the directory") {
      throw ValidationError("cannot write \(path): \(reason)")
    } catch {
      // the directory: created if missing and probed below
    }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    let probe = directory.appendingPathComponent(".dpq-write-check-\(getpid())")
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      try Data().write(to: probe)
      try FileManager.default.removeItem(at: probe)
    } catch {
      throw ValidationError(
        "cannot write \(path): \(directory.path) does not take new files (\(error.localizedDescription))")
    }
  }

  /// The seed summary: mean and sd per cell, one block per ranking, DPQ minus the best baseline
  /// paired over the queries.
  static func table(_ s: ReferenceExperiment.SeedSummary) -> String {
    let first = s.results[0]
    let header = ["method"] + first.bits.map { "mAP@\($0)b" }
    var blocks = [
      String(
        format: "%d seeds (%@); query accuracy %.2f%% (sd %.2f)", s.seeds.count,
        s.seeds.map(String.init).joined(separator: ", "), s.accuracy.mean * 100, s.accuracy.standardDeviation * 100)
    ]
    for ranking in first.rankings {
      var rows = s.rows.filter { $0.ranking == ranking }.map { row in
        [row.baseMethod]
          + first.bits.map { b in row.map[b].map { String(format: "%.4f ± %.4f", $0.mean, $0.standardDeviation) } ?? "-"
          }
      }
      rows += comparisonRows(s.comparisons.filter { $0.ranking == ranking }, bits: first.bits, padding: 0)
      blocks.append("\(ranking.rawValue): \(ranking.title)\n" + tableText(header: header, rows: rows))
    }
    return blocks.joined(separator: "\n\n")
  }

  /// "DPQ - best", its paired 95 % interval and which baseline was best, one row each.
  static func comparisonRows(_ comparisons: [ReferenceExperiment.Comparison], bits: [Int], padding: Int) -> [[String]] {
    guard !comparisons.isEmpty else { return [] }
    let pad = [String](repeating: "", count: padding)
    func cells(_ f: (ReferenceExperiment.Comparison) -> String) -> [String] {
      bits.map { b in comparisons.first { $0.bits == b }.map(f) ?? "-" }
    }
    return [
      ["DPQ - best"] + cells { String(format: "%+.4f", $0.difference.mean) } + pad,
      ["  95% interval"] + cells { String(format: "%+.3f..%+.3f", $0.difference.low, $0.difference.high) } + pad,
      ["  best of PQ/OPQ/RQ"] + cells { $0.baseline } + pad,
    ]
  }

  /// One block per ranking (every method ranked the same way inside it), each closed by DPQ
  /// minus the best baseline with its paired 95 % interval.
  static func table(_ r: ReferenceExperiment.Result) -> String {
    let header =
      ["method"] + r.bits.map { "mAP@\($0)b" } + ["P@100 (\(r.bits.last ?? 0)b)", "train s", "encode/s", "queries/s"]
    var blocks: [String] = []
    for ranking in r.rankings {
      var rows = r.rows.filter { $0.ranking == ranking }.map { row in
        [row.baseMethod] + r.bits.map { b in row.map[b].map { String(format: "%.4f", $0) } ?? "-" }
          + [
            row.precisionAt100[r.bits.last ?? 0].map { String(format: "%.4f", $0) } ?? "-",
            String(format: "%.1f", row.trainingSeconds), String(format: "%.0f", row.encodingPerSecond),
            String(format: "%.0f", row.queriesPerSecond),
          ]
      }
      rows += comparisonRows(r.comparisons.filter { $0.ranking == ranking }, bits: r.bits, padding: 4)
      blocks.append("\(ranking.rawValue): \(ranking.title)\n" + tableText(header: header, rows: rows))
    }
    return blocks.joined(separator: "\n\n")
  }
}
