import ArgumentParser
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

  @Argument(help: "Protocol: fm5k (5,000 training images), fm-full (60,000) or fm-small (1,000; quick).")
  var protocolName: String = "fm5k"
  @Option(help: "Training epochs.") var epochs: Int?
  @Option(help: "Mini-batch size.") var batch: Int?
  @Option(help: "Seed of the split, the initialisation and the batches.") var seed: UInt64 = 7
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
  @Option(help: "The query vector of the main table: class (the classifier's row for the predicted class) or feature (the query's own feature, the paper's AQD); the other kind is reported too.") var query: String?
  @Option(help: "How DPQ ranks the database for feature queries: ip (default) or l2.") var searchMetric: String?
  @Option(help: "Save the trained DPQ model to this safetensors file.") var saveModel: String?
  @Flag(inversion: .prefixedNo, help: "BatchNorm in the backbone (default: on).") var batchNorm = true
  @Flag(help: "Let the quantization losses reach the network (end-to-end gradients; default: codebooks only).")
  var endToEndGradients = false
  @Flag(help: "Also classify the hard reconstruction.") var classifyReconstruction = false
  @Flag(help: "Skip the PQ/OPQ/RQ baselines.") var noBaselines = false
  @Option(help: "Write the results as JSON to this file.") var json: String?

  func run() throws {
    guard let proto = ReferenceExperiment.ProtocolName(rawValue: protocolName) else {
      throw ValidationError("unknown protocol '\(protocolName)' (known: \(ReferenceExperiment.ProtocolName.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    var o = ReferenceExperiment.Options()
    o.protocolName = proto
    o.seed = seed
    o.training.seed = seed
    if let epochs { o.training.epochs = epochs }
    if let batch { o.training.batchSize = batch }
    if let mode {
      guard let m = DPQTrainingOptions.Mode(rawValue: mode) else { throw ValidationError("unknown mode '\(mode)' (two_stage, end_to_end)") }
      o.training.mode = m
    }
    if let similarity {
      guard let s = Similarity(rawValue: similarity) else { throw ValidationError("unknown similarity '\(similarity)' (cosine, l2, ip)") }
      o.model.similarity = s
    }
    if let gamma { o.model.gamma = gamma }
    if let learningRate { o.training.networkLearningRate = learningRate }
    if let codebookLearningRate { o.training.codebookLearningRate = codebookLearningRate }
    if let codebookInit {
      guard let c = DPQTrainingOptions.CodebookInitialisation(rawValue: codebookInit) else { throw ValidationError("unknown codebook init '\(codebookInit)' (kmeans, random)") }
      o.training.codebookInitialisation = c
    }
    if let augment { o.augmentShift = augment }
    if let clipGradient {
      guard clipGradient > 0, clipGradient.isFinite else { throw ValidationError("--clip-gradient must be positive (got \(clipGradient))") }
      o.training.gradientClipNorm = clipGradient
    }
    if let checkpoint {
      guard checkpointEvery > 0 else { throw ValidationError("--checkpoint-every must be positive (got \(checkpointEvery))") }
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
    if let query {
      guard let q = ReferenceExperiment.QueryKind(rawValue: query) else { throw ValidationError("unknown query kind '\(query)' (class, feature)") }
      o.query = q
    }
    if let searchMetric {
      switch searchMetric {
      case "l2": o.searchMetric = .squaredL2
      case "ip": o.searchMetric = .innerProduct
      default: throw ValidationError("unknown search metric '\(searchMetric)' (l2, ip)")
      }
    }
    o.modelPath = saveModel
    o.model.batchNorm = batchNorm
    o.model.classifyReconstruction = classifyReconstruction
    o.training.quantizationReachesNetwork = endToEndGradients
    o.baselines = !noBaselines
    setvbuf(stdout, nil, _IOLBF, 0)  // progress lines appear at once even when piped
    print("dpq \(DPQCommand.version) experiment \(proto.rawValue); OpenBLAS \(BLAS.coreName), \(BLAS.threadCount) threads")
    let result = try ReferenceExperiment(options: o).run()
    print()
    print(ExperimentCommand.table(result))
    for n in result.notes { print("note: \(n)") }
    if let json {
      try ReferenceExperiment.writeJSON(result, options: o, to: json)
      print("wrote \(json)")
    }
  }

  static func table(_ r: ReferenceExperiment.Result) -> String {
    let header = ["method"] + r.bits.map { "mAP@\($0)b" } + ["P@100 (\(r.bits.last ?? 0)b)", "train s", "encode/s", "queries/s"]
    let rows = r.rows.map { row in
      [row.method] + r.bits.map { b in row.map[b].map { String(format: "%.4f", $0) } ?? "-" }
        + [row.precisionAt100[r.bits.last ?? 0].map { String(format: "%.4f", $0) } ?? "-",
           String(format: "%.1f", row.trainingSeconds), String(format: "%.0f", row.encodingPerSecond),
           String(format: "%.0f", row.queriesPerSecond)]
    }
    return tableText(header: header, rows: rows)
  }
}
