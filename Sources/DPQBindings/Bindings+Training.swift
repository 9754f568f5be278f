import DPQData
import DPQLanguage
import DPQNN
import DPQQuantization
import DPQTensor
import Foundation

/// Training DPQ models from the language: `train`, progress, stop requests, the training log.
extension ModelBindings {
  // MARK: train

  static func registerTraining(into r: inout BuiltinRegistry) {
    // The defaults are dpq's recipe (DPQTrainingOptions.recommended), so `train` trains as `dpq experiment` does.
    let d = DPQTrainingOptions.recommended
    r.add(
      "train", family: family,
      [
        Parameter("model", modelType),
        Parameter(
          "data",
          .oneOf([
            DataBindings.datasetType, .host(SplitObject.scriptType),
            .host(ImageSetObject.scriptType),
          ])),
        .keyword("epochs", .integer, default: .int(d.epochs)), .keyword("batch", .integer, default: .int(d.batchSize)),
        .keyword("mode", .string, default: .string(d.mode.rawValue)),
        .keyword("warmup", .optional(.integer), default: .nilValue),
        .keyword("init", .string, default: .string(d.codebookInitialisation.rawValue)),
        .keyword("lr", .number, default: .float(d.networkLearningRate)),
        .keyword("optimizer", .string, default: .string(d.networkOptimizer.rawValue)),
        .keyword("momentum", .number, default: .float(d.momentum)),
        .keyword("weight_decay", .optional(.number), default: .nilValue),
        .keyword("codebook_lr", .number, default: .float(d.codebookLearningRate)),
        .keyword("end_to_end", .bool, default: .bool(d.quantizationReachesNetwork)),
        .keyword("prefix_weight", .number, default: .float(d.prefixClassificationWeight)),
        .keyword("prefix_end_to_end", .bool, default: .bool(d.prefixClassificationReachesNetwork)),
        .keyword("ranking_weight", .number, default: .float(d.rankingWeight)),
        .keyword("ranking_scale", .number, default: .float(d.rankingScale)),
        .keyword("ranking_end_to_end", .bool, default: .bool(d.rankingReachesNetwork)),
        .keyword("revive_codewords", .bool, default: .bool(d.reviveUnusedCodewords)),
        .keyword("augment", .optional(.integer), default: .nilValue),
        .keyword("flip", .optional(.bool), default: .nilValue),
        .keyword("seed", .integer, default: .number(0)), .keyword("clip", .optional(.number), default: .nilValue),
        .keyword("checkpoint", .optional(.string), default: .nilValue),
        .keyword("checkpoint_every", .integer, default: .number(1)),
        .keyword("resume", .optional(.string), default: .nilValue),
      ],
      returns: "training_log",
      summary:
        "Trains a DPQ model on a dataset (or a split's training part, or lazy images) and returns the per-epoch log.",
      doc:
        "`data` may be a lazy image set (`load_images(..., lazy: true)` or `load_image_list`): its images are decoded batch by batch, keeping at most its `cache_mb` of decoded images, never all of them at once (the k-means start of the codebooks reads them in batches too); a file that cannot be decoded stops training with its name. `mode:` \"two_stage\" (classification only for `warmup` epochs, half by default, then network and codebooks) or \"end_to_end\" (one warm-up epoch). `init:` \"kmeans\" starts the codebooks by residual k-means when stage 2 begins, \"random\" keeps N(0, 0.01^2). The network uses `optimizer:` \"sgd\" (with `momentum`) or \"adam\", at rate `lr` with cosine decay and `weight_decay` (nil: 5e-4 for SGD, 0 for Adam); the codebooks Adam (`codebook_lr`). `end_to_end: true` lets the quantization losses reach the network too. `prefix_weight:` (lambda_q) adds lambda_q * sum_m L_cls(Xs_m), the classifier's loss on every soft prefix reconstruction, on the scale of the model's lambda; `prefix_end_to_end:` says whether that term reaches the network through x (docs/dpq.md). `ranking_weight:` (rho, 0 leaves it out) adds rho * sum_m of an NCA ranking loss on the hard prefix reconstructions Xh_m: each feature of the batch, normalised and scaled by `ranking_scale`, should score the other items of its class above the rest by inner product with their Xh_m (a term beyond PAPER.md; docs/dpq.md); `ranking_end_to_end:` says whether it reaches the network through the queries or only the codebooks. `revive_codewords: true` puts, after each stage-2 epoch but the last, every codeword that no item chose in that epoch on the residual of a random item of the epoch at its block (docs/dpq.md). The defaults are those of `dpq experiment`. `augment:` shifts training images by up to that many pixels and `flip:` mirrors them at random; for images [n, C, H, W] both are on by default (2 pixels, flips) as in `dpq experiment`, for feature vectors off. Progress goes to the host's progress reporter; a stop request (Ctrl-C) ends training after the current batch and keeps the model as trained so far. `clip:` scales the gradients to at most this global L2 norm before each step. NaN or infinity in the data stops training before the batch that holds it, with an error naming the epoch, batch and rows. A loss, gradient or parameter that becomes NaN or infinite (a diverged run) stops training with an error naming the epoch, batch and term; the model keeps the latest parameters whose loss was finite and whose features of the training data are finite. `checkpoint:` writes a checkpoint file (model, optimizer states, generators, log) every `checkpoint_every` epochs and at the end, replacing it atomically; `resume:` continues from such a file with the same `epochs`, `batch`, `seed` and `mode`, so an interrupted run finishes as if it had never stopped.",
      example: exampleModel + "log = train(m, d, epochs: 2, batch: 32)\nlog.epochs\nlog.stage"
    ) { a in
      let m = try a.host("model", as: ModelObject.self)
      let data: TrainingData
      switch a["data"] {
      case .host(let s as SplitObject): data = TrainingData(s.part("train").data)
      case .host(let d as DatasetObject): data = TrainingData(d.data)
      case .host(let i as ImageSetObject): data = TrainingData(i.set)
      default: throw a.badArgument("data", "dataset, split or images expected, got \(a["data"].typeName)")
      }
      let c = m.model.configuration
      guard data.itemShape == c.inputShape else {
        throw a.badArgument(
          "data",
          "the model takes items of shape \(Format.shape(c.inputShape)), the data's are \(Format.shape(data.itemShape))"
        )
      }
      guard data.classCount <= c.classCount else {
        throw a.badArgument(
          "data",
          "the data has \(data.classCount) classes but the model \(c.classCount): build it with dpq(classes: \(data.classCount), ...)"
        )
      }
      if c.multiLabel && data.multiHot == nil {
        throw a.badArgument("data", "the model is multi-label but the data has single labels")
      }
      var o = DPQTrainingOptions.recommended // what no keyword sets stays the recipe's
      o.epochs = try a.integer("epochs")
      o.batchSize = try a.positive("batch")
      o.mode =
        DPQTrainingOptions.Mode(rawValue: try a.choice("mode", DPQTrainingOptions.Mode.allCases.map(\.rawValue)))
        ?? .twoStage
      o.warmupEpochs = try a.optionalInteger("warmup")
      o.codebookInitialisation =
        DPQTrainingOptions.CodebookInitialisation(
          rawValue: try a.choice("init", DPQTrainingOptions.CodebookInitialisation.allCases.map(\.rawValue))) ?? .kmeans
      o.networkLearningRate = try a.float("lr")
      o.momentum = try a.float("momentum")
      o.weightDecay = try a.optionalNumber("weight_decay").map { Float($0) }
      o.networkOptimizer =
        DPQTrainingOptions.NetworkOptimizer(
          rawValue: try a.choice("optimizer", DPQTrainingOptions.NetworkOptimizer.allCases.map(\.rawValue))) ?? .sgd
      o.prefixClassificationWeight = try a.float("prefix_weight")
      o.prefixClassificationReachesNetwork = try a.bool("prefix_end_to_end")
      o.rankingWeight = try a.float("ranking_weight")
      o.rankingScale = try a.float("ranking_scale")
      o.rankingReachesNetwork = try a.bool("ranking_end_to_end")
      o.reviveUnusedCodewords = try a.bool("revive_codewords")
      o.codebookLearningRate = try a.float("codebook_lr")
      o.quantizationReachesNetwork = try a.bool("end_to_end")
      o.seed = try a.seed()
      if let clip = try a.optionalNumber("clip") {
        guard clip > 0, clip.isFinite else {
          throw a.badArgument("clip", "the gradient norm limit must be positive, got \(clip)")
        }
        o.gradientClipNorm = Float(clip)
      }
      if a.has("checkpoint") {
        o.checkpointPath = try a.string("checkpoint")
        o.checkpointEvery = try a.positive("checkpoint_every")
      }
      let trainer = try DPQTrainer(model: m.model, options: o)
      if a.has("resume") { try trainer.resume(from: a.string("resume")) }
      let images = data.itemShape.count == 3
      let shift = try a.optionalInteger("augment") ?? (images ? 2 : 0)
      let flip = a.has("flip") ? try a.bool("flip") : images
      if shift > 0 || flip {
        guard images else {
          throw a.badArgument(
            "augment", "augmentation needs images [n, C, H, W], the data's items are \(Format.shape(data.itemShape))")
        }
        let augmenter = try ImageAugmenter(maxShift: shift, horizontalFlip: flip, seed: o.seed &+ 99)
        trainer.augmenter = augmenter
      }
      _ = try fit(trainer, data: data, multiLabel: c.multiLabel, a)
      // after a resume the log holds the checkpoint's epochs too
      let lines = trainer.log
      let stopped = lines.count < o.epochs
      let log = TrainingLogObject(lines, requested: o.epochs, stopped: stopped)
      m.log = log
      try a.stopIfRequested(
        keeping: .host(log),
        "training stopped after \(lines.count) of \(o.epochs) epochs: the model keeps its weights; its log is model.log (and ans)"
      )
      return .host(log)
    }
  }

  /// Runs the trainer with the session's progress reporter and stop request.
  static func fit(_ trainer: DPQTrainer, data: TrainingData, multiLabel: Bool, _ a: Arguments) throws -> [DPQEpochLog] {
    let reporter = a.interpreter.bindingSettings.progress
    let epochs = trainer.options.epochs
    let n = data.labels.count
    let size = trainer.options.batchSize
    var epoch = 0
    var open = false
    let lines = try trainer.fit(
      inputs: data.inputs, labels: data.labels, multiHot: multiLabel ? data.multiHot : nil,
      onEpoch: { line in
        epoch += 1
        open = false
        reporter?.end(epochLine(line, of: epochs))
      },
      onBatch: { done, _ in
        guard let reporter else { return }
        if !open {
          reporter.begin("epoch \(epoch + 1)/\(epochs)", total: n, unit: "img")
          open = true
        }
        reporter.update(completed: min(n, done * size), detail: "")
      },
      shouldStop: a.shouldStop)
    if open { reporter?.end("epoch \(epoch + 1)/\(epochs) stopped") }
    return lines
  }

  /// `epoch 3/30  stage 2  cls 0.4123  acc 91.2%  soft ...  lr 0.0100  3,210 img/s`
  static func epochLine(_ l: DPQEpochLog, of epochs: Int) -> String {
    func f(_ x: Float, _ d: Int = 4) -> String { Format.fixed(Double(x), d) }
    var s =
      "epoch \(l.epoch)/\(epochs)  stage \(l.stage)  cls \(f(l.classificationLoss))  acc \(Format.fixed(Double(l.accuracy) * 100, 1))%"
    if l.stage == 2 {
      s += "  soft \(f(l.softLoss))  hard \(f(l.hardLoss))  joint \(f(l.jointLoss))"
      s += "  usage " + l.codewordUsage.map { f($0, 2) }.joined(separator: "/")
      s += "  distortion " + l.relativeDistortion.map { f($0, 3) }.joined(separator: "/")
    }
    return s + "  lr \(f(l.learningRate))  \(Format.grouped(Int(l.imagesPerSecond.rounded()))) img/s"
  }

  static func registerTrainingLog(into r: inout BuiltinRegistry) {
    let ex = exampleModel
    r.property(
      "epochs", of: TrainingLogObject.self, family: family, returns: "list", summary: "The epoch numbers of the log.",
      example: ex + "train(m, d, epochs: 2, batch: 32).epochs"
    ) { .ints($0.lines.map(\.epoch)) }
    func column(_ name: String, _ summary: String, _ get: @escaping (DPQEpochLog) -> Value) {
      r.property(
        name, of: TrainingLogObject.self, family: family, returns: "list", summary: summary,
        example: ex + "log = train(m, d, epochs: 2, batch: 32)\nlen(log.\(name))"
      ) { .items($0.lines.map(get)) }
    }
    column("loss", "The total loss of each epoch (lambda * classification + quantization losses).") {
      .float($0.totalLoss)
    }
    column("classification", "The classification loss of each epoch.") { .float($0.classificationLoss) }
    column("soft", "The soft-quantization loss of each epoch (0 in stage 1).") { .float($0.softLoss) }
    column("hard", "The hard-quantization loss of each epoch (0 in stage 1).") { .float($0.hardLoss) }
    column("joint", "The joint (soft against hard) loss of each epoch (0 in stage 1).") { .float($0.jointLoss) }
    column("accuracy", "The training accuracy of each epoch, in [0, 1].") { .float($0.accuracy) }
    column("usage", "Per epoch, the fraction of each block's codewords the batches used.") { .floats($0.codewordUsage) }
    column("distortion", "Per epoch, the relative distortion after 1..M blocks.") { .floats($0.relativeDistortion) }
    column("lr", "The network learning rate of each epoch.") { .float($0.learningRate) }
    column("stage", "The stage of each epoch: 1 classification only, 2 network and codebooks.") { .int($0.stage) }
    column("images_per_second", "Training throughput of each epoch.") { .number($0.imagesPerSecond) }
    column("seconds", "Wall time of each epoch.") { .number($0.seconds) }
    r.property(
      "stopped", of: TrainingLogObject.self, family: family, returns: "bool",
      summary: "Whether a stop request (Ctrl-C) ended training before all epochs ran.",
      example: ex + "train(m, d, epochs: 1, batch: 32).stopped"
    ) { .bool($0.stopped) }
    r.method(
      "len", of: TrainingLogObject.self, family: family, returns: "number",
      summary: "The number of epochs logged, for len().",
      example: ex + "len(train(m, d, epochs: 1, batch: 32))"
    ) { l, _ in .int(l.lines.count) }
  }
}

/// What `train()` reads: a dataset's features in memory, or a lazy image set (load_images(...,
/// lazy: true)) whose images the trainer decodes batch by batch within the set's cache limit.
struct TrainingData {
  let inputs: any BatchSource
  let labels: [Int]
  let multiHot: Tensor?
  let itemShape: [Int]
  let classCount: Int

  init(_ d: LabelledDataset) {
    (inputs, labels, multiHot, itemShape, classCount) = (d.features, d.labels, d.multiHot, d.itemShape, d.classCount)
  }

  init(_ set: ImageSet) {
    (inputs, labels, itemShape, classCount) = (set, set.labels, set.itemShape, set.classNames.count)
    multiHot = set.multiHot(Array(0..<set.count))
  }
}
