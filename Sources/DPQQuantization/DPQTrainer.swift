import DPQData
import DPQNN
import DPQTensor
import Foundation

/// How a DPQ model is trained (PAPER.md, Training). Defaults are dpq's measured best on FM-5k;
/// docs/dpq.md says why.
public struct DPQTrainingOptions: Equatable, Sendable {
  public enum Mode: String, CaseIterable, Sendable {
    /// Stage 1 trains the network on the classification loss alone; stage 2 trains network and
    /// codebooks together (the released code's two stages).
    case twoStage = "two_stage"
    /// One short classification warm-up epoch, then everything on the total loss.
    case endToEnd = "end_to_end"
  }

  /// The optimizer of the network's parameters (backbone, feature layer, classifier).
  public enum NetworkOptimizer: String, CaseIterable, Sendable {
    /// SGD with momentum (the released code).
    case sgd
    /// Adam (the PyTorch re-implementation the DPQ issue measured).
    case adam
  }

  public enum CodebookInitialisation: String, CaseIterable, Sendable {
    /// Keep the N(0, 0.01^2) codebooks the model was built with (the released code).
    case random
    /// Residual k-means on the training features when stage 2 starts.
    case kmeans
  }

  public var epochs = 30
  public var batchSize = 128
  public var mode: Mode = .twoStage
  /// Epochs of stage 1 (classification only); nil = half the epochs for two_stage, 1 for end_to_end.
  public var warmupEpochs: Int? = nil
  public var codebookInitialisation: CodebookInitialisation = .kmeans
  /// Let the quantization losses reach the network (end-to-end gradients) in stage 2. Off by
  /// default, as in the released code: on FM-5k (20 epochs) letting them through collapsed block
  /// 1 to 7% of its codewords and cut DPQ's mAP@32b from 0.739 to 0.578 (docs/dpq.md).
  public var quantizationReachesNetwork = false
  /// Weight lambda_q of the classification of every soft prefix reconstruction Xs_m (PAPER.md's
  /// "extra term dpq documents"): the objective gains lambda_q * sum_m L_cls(Xs_m), on the same
  /// scale as lambda * L_cls(x). 0 leaves the term out.
  public var prefixClassificationWeight: Float = 0
  /// Let the prefix classification reach the network through x (not only the classifier and
  /// the codebooks).
  public var prefixClassificationReachesNetwork = true
  /// Weight rho of the ranking of every hard prefix reconstruction Xh_m (an extra term dpq
  /// documents, not in PAPER.md): each feature of the batch, as a query, should score the other
  /// items of its class above the rest by inner product with their Xh_m, which is how the
  /// codes are searched. 0 leaves the term out.
  public var rankingWeight: Float = 0
  /// Scale of the ranking term's scores: s * <x_i / ||x_i||, Xh_m[j]>.
  public var rankingScale: Float = 1
  /// Let the ranking term reach the network through the queries x_i (not only the codebooks,
  /// through Xh_m).
  public var rankingReachesNetwork = true
  /// After each epoch of stage 2 but the last, give every codeword no training item chose in
  /// that epoch (hard assignment) the residual of a random item of the epoch at its block, so the
  /// code keeps all K codewords in use (an extra dpq documents, not in PAPER.md).
  public var reviveUnusedCodewords = false
  /// Network optimizer, with a cosine-decayed learning rate (SGD: 0.05 beat 0.01 on FM-5k, query
  /// accuracy 84.6% against 75.7%).
  public var networkOptimizer: NetworkOptimizer = .sgd
  public var networkLearningRate: Float = 0.05
  /// SGD's momentum (Adam uses beta1 0.9, beta2 0.999).
  public var momentum: Float = 0.9
  /// Weight decay of the network optimizer; nil: 5e-4 for SGD, 0 for Adam.
  public var weightDecay: Float? = nil
  /// Codebook optimizer: Adam.
  public var codebookLearningRate: Float = 1e-3
  /// Label smoothing of the classification loss (single-label data).
  public var labelSmoothing: Float = 0
  public var seed: UInt64 = 0
  /// Clip the global L2 norm of the gradients (network and codebooks together) to this value before
  /// each step; nil for no clipping.
  public var gradientClipNorm: Float? = nil
  /// Write a checkpoint to `checkpointPath` after every this many epochs; 0 for none.
  public var checkpointEvery = 0
  /// Where checkpoints go (one file, replaced atomically each time).
  public var checkpointPath: String? = nil

  public init() {}

  /// The weight decay these options give the network optimizer.
  public var resolvedWeightDecay: Float { weightDecay ?? (networkOptimizer == .sgd ? 5e-4 : 0) }

  /// The epochs of stage 1 these options give.
  public var resolvedWarmup: Int {
    min(epochs, warmupEpochs ?? (mode == .twoStage ? epochs / 2 : 1))
  }
}

/// One line of the training log: every loss term, accuracy, codeword usage and relative distortion
/// per block, and throughput.
public struct DPQEpochLog: Sendable, Codable, Equatable {
  public let epoch: Int
  /// 1 = classification only, 2 = network and codebooks.
  public let stage: Int
  public let classificationLoss: Float
  public let softLoss: Float
  public let hardLoss: Float
  public let jointLoss: Float
  public let totalLoss: Float
  /// Training accuracy of the classifier on the epoch's batches.
  public let accuracy: Float
  /// Fraction of the K codewords used by the epoch's batches, per block.
  public let codewordUsage: [Float]
  /// ||x - Xh_m||^2 / ||x||^2 over the epoch's batches, per prefix m.
  public let relativeDistortion: [Float]
  public let imagesPerSecond: Double
  public let seconds: Double
  public let learningRate: Float
}

/// Trains a DPQ model on inputs [n, ...] with single labels (or multi-hot targets).
public final class DPQTrainer {
  public let model: DPQModel
  public let options: DPQTrainingOptions
  /// Transforms each training batch before the forward pass (augmentation); given the batch and a
  /// seeded generator.
  public var batchTransform: ((Tensor, inout RandomGenerator) throws -> Tensor)?
  /// Shifts (and flips) each training batch before `batchTransform`; its generator is part of
  /// checkpoints, so a resumed run sees the same augmented batches.
  public var augmenter: ImageAugmenter?
  public internal(set) var log: [DPQEpochLog] = []

  let networkOptimizer: Optimizer
  let codebookOptimizer: Adam
  var rng: RandomGenerator
  var epochsDone = 0
  var codebooksInitialised = false
  /// Where a diverged step goes back to (DPQTrainer+Recovery.swift): the state before the latest
  /// update, at the start of the current epoch, and at the start of the current `fit`.
  let beforeUpdate = TrainingStateCopy(), epochStart = TrainingStateCopy(), fitStart = TrainingStateCopy()
  /// The total loss of the first and of the latest finite step of the current `fit`, for the
  /// message of a divergence.
  var finiteLosses: (first: Float, last: Float)? = nil

  public init(model: DPQModel, options: DPQTrainingOptions = DPQTrainingOptions()) throws {
    self.model = model
    self.options = options
    guard options.epochs >= 0, options.batchSize > 0 else {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "epochs must be >= 0 and batch > 0 (got \(options.epochs), \(options.batchSize))")
    }
    if let c = options.gradientClipNorm, !(c > 0 && c.isFinite) {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "the gradient clipping norm must be positive and finite (got \(c))")
    }
    guard options.checkpointEvery >= 0, options.checkpointEvery == 0 || options.checkpointPath != nil else {
      throw QuantizationError.invalidArgument(
        op: "dpq",
        reason: "checkpoints every \(options.checkpointEvery) epochs need a non-negative count and a checkpoint path")
    }
    guard options.prefixClassificationWeight >= 0, options.prefixClassificationWeight.isFinite else {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "the prefix classification weight must be >= 0 (got \(options.prefixClassificationWeight))")
    }
    guard options.rankingWeight >= 0, options.rankingWeight.isFinite, options.rankingScale > 0,
      options.rankingScale.isFinite
    else {
      throw QuantizationError.invalidArgument(
        op: "dpq",
        reason:
          "the ranking weight must be >= 0 and its scale positive and finite (got \(options.rankingWeight), \(options.rankingScale))"
      )
    }
    let networkGroup = ParameterGroup(
      parameters: model.networkParameters, learningRate: options.networkLearningRate,
      weightDecay: options.resolvedWeightDecay)
    switch options.networkOptimizer {
    case .sgd: networkOptimizer = try SGD(groups: [networkGroup], momentum: options.momentum)
    case .adam: networkOptimizer = try Adam(groups: [networkGroup])
    }
    codebookOptimizer = try Adam(groups: [
      ParameterGroup(
        parameters: model.codebooks,
        learningRate: options.codebookLearningRate)
    ])
    rng = RandomGenerator(seed: options.seed)
    codebooksInitialised = options.codebookInitialisation == .random
  }

  /// Runs the remaining epochs. `onEpoch` gets each log line; `onBatch(done, total)` reports
  /// progress within an epoch; `shouldStop` (checked between steps) ends training early with the
  /// model as of the last completed step. Returns the log lines of this call.
  ///
  /// `inputs` is a tensor [n, ...] or any other `BatchSource`, such as an `ImageSet`, whose
  /// images are then decoded batch by batch (within its cache limit) and never all at once.
  @discardableResult
  public func fit(
    inputs: any BatchSource, labels: [Int], multiHot: Tensor? = nil,
    onEpoch: ((DPQEpochLog) -> Void)? = nil,
    onBatch: ((Int, Int) -> Void)? = nil,
    shouldStop: (@Sendable () -> Bool)? = nil
  ) throws -> [DPQEpochLog] {
    let n = inputs.itemCount
    guard n > 0, labels.count == n else {
      throw QuantizationError.invalidArgument(op: "dpq", reason: "fit: \(n) inputs but \(labels.count) labels")
    }
    if let mh = multiHot, mh.shape.first != n {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "fit: \(n) inputs but multi-hot targets of shape \(mh.shape)")
    }
    var lines: [DPQEpochLog] = []
    let warmup = options.resolvedWarmup
    // A checkpoint path that cannot be written fails now, not after the first long epoch; the
    // file then holds the starting state, from which `resume` works too.
    if options.checkpointEvery > 0, let path = options.checkpointPath, epochsDone < options.epochs {
      try saveCheckpoint(to: path)
    }
    model.train()
    beforeUpdate.forget()
    epochStart.forget()
    finiteLosses = nil
    fitStart.capture(self)
    while epochsDone < options.epochs {
      if let stop = shouldStop, stop() { break }
      let stage = epochsDone < warmup ? 1 : 2
      if stage == 2 && !codebooksInitialised {
        try initialiseCodebooks(inputs: inputs, multiHot: multiHot, shouldStop: shouldStop)
        codebooksInitialised = true
      }
      let lr = cosineRate(epoch: epochsDone)
      networkOptimizer.parameterGroups[0].learningRate = lr
      guard
        let line = try runEpoch(
          stage: stage, inputs: inputs, labels: labels, multiHot: multiHot,
          learningRate: lr, onBatch: onBatch, shouldStop: shouldStop)
      else { break }
      epochsDone += 1
      log.append(line)
      lines.append(line)
      // An epoch cut short by a stop request is not checkpointed: the file keeps the last whole
      // epoch, so resuming from it still matches an uninterrupted run.
      let cutShort = shouldStop?() ?? false
      if options.checkpointEvery > 0, let path = options.checkpointPath, !cutShort,
        epochsDone % options.checkpointEvery == 0 || epochsDone == options.epochs
      {
        try saveCheckpoint(to: path)
      }
      onEpoch?(line)
    }
    model.eval()
    return lines
  }

  /// The error for a non-finite loss, gradient, parameter or feature at `batch` of the current
  /// epoch (0: before its first batch), after putting back the latest state whose features are
  /// finite on `inputs`; `currentIsCandidate` when the step's own forward pass was finite.
  func diverged(batch: Int, stage: Int, what: String, inputs: any BatchSource, currentIsCandidate: Bool) throws
    -> QuantizationError
  {
    let epoch = epochsDone + 1 // before the recovery, which can go back into the previous epoch
    let kept = try recover(
      inputs: inputs, currentIsCandidate: currentIsCandidate,
      candidates: [
        (beforeUpdate, "the parameters from before the update of \(beforeUpdate.label)"),
        (epochStart, "the parameters it had when \(epochStart.label) started"),
        (fitStart, "the parameters it had when training started"),
      ])
    var hint =
      options.gradientClipNorm == nil ? "lower the learning rate or clip the gradient norm" : "lower the learning rate"
    if let (first, last) = finiteLosses {
      hint =
        "the loss went from \(Self.short(first)) at the first step to \(Self.short(last)) at the last finite one: "
        + hint
    }
    return .trainingDiverged(epoch: epoch, batch: batch, stage: stage, what: what, kept: kept, hint: hint)
  }

  /// A loss for a message: 4 significant digits.
  static func short(_ x: Float) -> String { String(format: "%.4g", Double(x)) }

  /// Cosine decay of the network rate over all epochs (the released code's step decay did worse in
  /// our runs; docs/dpq.md).
  func cosineRate(epoch: Int) -> Float {
    let t = Float(epoch) / Float(max(1, options.epochs))
    return options.networkLearningRate * 0.5 * (1 + Foundation.cos(Float.pi * t))
  }

  /// Residual k-means on the current training features: block m's codebook is k-means of the
  /// residuals left by blocks 1..m-1 (a residual quantizer), the natural start PAPER.md suggests.
  func initialiseCodebooks(inputs: any BatchSource, multiHot: Tensor?, shouldStop: (@Sendable () -> Bool)?) throws {
    let when = "when epoch \(epochsDone + 1) began (the k-means start of the codebooks)"
    // A tensor in memory is checked whole; lazily decoded images are checked batch by batch.
    if let all = inputs as? Tensor { try checkBatch(all, rows: [], source: "training data", all: all, when: when) }
    if let mh = multiHot { try checkBatch(mh, rows: [], source: "multi-hot targets", all: mh, when: when) }
    let x = try model.extractFeatures(inputs, shouldStop: shouldStop)
    model.train()
    // stage 1 can leave a network whose features overflow outside training mode (BatchNorm's
    // running statistics): that is a divergence, not bad data
    if !allFinite(x), shouldStop?() != true {
      throw try diverged(
        batch: 0, stage: 2,
        what: "training diverged: the features of the training data became non-finite outside training mode",
        inputs: inputs, currentIsCandidate: false)
    }
    try initialiseCodebooks(features: x, shouldStop: shouldStop)
  }

  /// Residual k-means on features x [n, D]; with fewer than K vectors the random start is kept.
  public func initialiseCodebooks(features x: Tensor, shouldStop: (@Sendable () -> Bool)? = nil) throws {
    guard x.shape[0] >= model.codewordCount else { return }
    let start = try ProgressiveQuantization.residualKMeans(
      x, blocks: model.blockCount, codewords: model.codewordCount,
      seed: options.seed, shouldStop: shouldStop)
    for (p, c) in zip(model.codebooks, start.codebooks) { p.value = c }
    codebooksInitialised = true
  }

  /// One pass over shuffled mini-batches; nil when stopped before the first step.
  func runEpoch(
    stage: Int, inputs: any BatchSource, labels: [Int], multiHot: Tensor?, learningRate: Float,
    onBatch: ((Int, Int) -> Void)?, shouldStop: (@Sendable () -> Bool)?
  ) throws -> DPQEpochLog? {
    let n = inputs.itemCount
    let bs = options.batchSize
    let inMemory = inputs as? Tensor
    let order = rng.permutation(n)
    let batchCount = (n + bs - 1) / bs
    let c = model.configuration
    var sums = (cls: 0.0, soft: 0.0, hard: 0.0, joint: 0.0, total: 0.0)
    var correct = 0
    var seen = 0
    var used = [Set<Int>](repeating: [], count: model.blockCount)
    var errors = [Double](repeating: 0, count: model.blockCount)
    var residuals = ResidualSample(blocks: model.blockCount, capacity: model.codewordCount)
    var energy = 0.0
    let start = Date()
    epochStart.capture(self, label: "epoch \(epochsDone + 1)")
    for b in 0..<batchCount {
      if let stop = shouldStop, stop() { break }
      let idx = Array(order[(b * bs)..<min(n, (b + 1) * bs)])
      // NaN or infinity in the data is named by its rows before the step uses it: it is not a
      // divergence, and no learning rate cures it
      let when = "at epoch \(epochsDone + 1), batch \(b + 1) (stage \(stage))"
      var batch = try OpProfiler.measure("trainer: batch gather and check") {
        let batch = try inputs.batch(rows: idx)
        try checkBatch(batch, rows: idx, source: "training data", all: inMemory, when: when)
        return batch
      }
      let targets = try multiHot.map { try $0.indexSelect(axis: 0, indices: idx) }
      if let t = targets { try checkBatch(t, rows: idx, source: "multi-hot targets", all: multiHot, when: when) }
      if let a = augmenter { batch = try a(batch) }
      if let t = batchTransform { batch = try t(batch, &rng) }
      if augmenter != nil || batchTransform != nil {
        try checkBatch(
          batch, rows: idx,
          source: "augmented inputs (the data itself is finite here: the augmentation or batch transform made them)",
          all: nil, when: when)
      }
      let y = idx.map { labels[$0] }
      func diverged(_ what: String, currentIsCandidate: Bool = false) throws -> QuantizationError {
        try self.diverged(
          batch: b + 1, stage: stage, what: what, inputs: inputs, currentIsCandidate: currentIsCandidate)
      }
      let step = try OpProfiler.measure("objective: other ops") {
        try objective(batch: batch, stage: stage, labels: y, multiHot: targets)
      }
      let (cls, total, terms) = (step.classification, step.total, step.terms)
      // Every term is checked before anything changes, so a blow-up names its source; the model
      // then goes back to the latest state whose loss and features were finite.
      var named: [(String, Tensor)] = [("classification loss", cls)]
      if let t = terms {
        named += [
          ("soft quantization loss", t.soft), ("hard quantization loss", t.hard),
          ("joint quantization loss", t.joint),
        ]
      }
      if let p = step.prefixClassification { named.append(("classification loss of the soft reconstructions", p)) }
      named.append(("total loss", total))
      for (name, term) in named {
        let v = try term.item()
        guard v.isFinite else {
          throw try diverged("the loss diverged: the \(name) became \(v.isNaN ? "NaN" : "infinite")")
        }
      }
      // Activations can overflow BatchNorm's running variance while the loss stays finite.
      if let (name, _) = OpProfiler.measure(
        "trainer: finiteness checks", { model.namedBuffers().first(where: { !allFinite($0.1.value) }) })
      {
        throw try diverged(
          "training diverged: the running statistic \(name) became non-finite (the activations overflowed)")
      }
      let totalValue = try total.item()
      finiteLosses = (finiteLosses?.first ?? totalValue, totalValue)
      model.zeroGrad()
      try total.backward()
      let trained = model.namedParameters().filter { stage == 2 || !$0.0.hasPrefix("codebooks.") }
      if let (name, p) = OpProfiler.measure(
        "trainer: finiteness checks", { trained.first(where: { $0.1.grad.map { !allFinite($0) } ?? false }) })
      {
        throw try diverged(
          "training diverged: the gradient of \(name) (shape \(formatShape(p.shape))) became non-finite",
          currentIsCandidate: true)
      }
      if let maxNorm = options.gradientClipNorm { try clipGradientNorm(trained.map(\.1), maxNorm: maxNorm) }
      // the state this finite step was computed with, copied into reused buffers
      OpProfiler.measure("trainer: state copy for recovery") {
        beforeUpdate.capture(self, label: "epoch \(epochsDone + 1), batch \(b + 1)")
      }
      try OpProfiler.measure("optimizer: network (\(options.networkOptimizer.rawValue))") {
        try networkOptimizer.step()
      }
      if stage == 2 { try OpProfiler.measure("optimizer: codebooks (adam)") { try codebookOptimizer.step() } }
      if let (name, _) = OpProfiler.measure(
        "trainer: finiteness checks", { trained.first(where: { !allFinite($0.1.value) }) })
      {
        throw try diverged("training diverged: the update made \(name) non-finite")
      }

      // bookkeeping for the log, from values this step computed anyway
      let bookkeeping = OpProfiler.isEnabled ? DispatchTime.now().uptimeNanoseconds : 0
      let w = Double(idx.count)
      sums.cls += Double(try cls.item()) * w
      sums.total += Double(totalValue) * Double(c.lambda) * w // reported on the paper's scale
      if let t = terms, let quantization = step.quantization {
        sums.soft += Double(try t.soft.item()) * w
        sums.hard += Double(try t.hard.item()) * w
        sums.joint += Double(try t.joint.item()) * w
        let xv = step.features.scalars
        energy += xv.reduce(0) { $0 + Double($1) * Double($1) }
        for (m, xh) in quantization.hardReconstructions.enumerated() {
          let hv = xh.scalars
          var e = 0.0
          for i in 0..<xv.count {
            let d = Double(xv[i] - hv[i])
            e += d * d
          }
          errors[m] += e
          used[m].formUnion(quantization.codes[m])
        }
        if options.reviveUnusedCodewords {
          try residuals.add(features: step.features, prefixes: quantization.hardReconstructions, rng: &rng)
        }
      }
      let pred = try step.logits.argmax(axis: 1)
      if !c.multiLabel { correct += zip(pred, y).filter { $0 == $1 }.count }
      seen += idx.count
      if OpProfiler.isEnabled { OpProfiler.charge("trainer: log bookkeeping", since: bookkeeping) }
      onBatch?(b + 1, batchCount)
    }
    guard seen > 0 else { return nil }
    let usage = used.map { Float($0.count) / Float(model.codewordCount) }
    if options.reviveUnusedCodewords && stage == 2 && epochsDone + 1 < options.epochs && !(shouldStop?() ?? false) {
      try reviveUnusedCodewords(used: used, residuals: residuals)
    }
    let secs = Date().timeIntervalSince(start)
    let s = Double(seen)
    return DPQEpochLog(
      epoch: epochsDone + 1, stage: stage, classificationLoss: Float(sums.cls / s),
      softLoss: Float(sums.soft / s), hardLoss: Float(sums.hard / s), jointLoss: Float(sums.joint / s),
      totalLoss: Float(sums.total / s), accuracy: Float(correct) / Float(seen),
      codewordUsage: usage,
      relativeDistortion: errors.map { energy > 0 ? Float($0 / energy) : 1 },
      imagesPerSecond: s / max(secs, 1e-9), seconds: secs, learningRate: learningRate)
  }
}

/// Whether every value of `t` is finite (see `allFinite(_: UnsafeBufferPointer<Float>)`).
func allFinite(_ t: Tensor) -> Bool { t.withUnsafeBufferPointer { allFinite($0) } }

extension DPQTrainingOptions {
  /// dpq's recipe, chosen on the FM-5k validation split (docs/dpq.md): Adam 1e-3 on the network,
  /// every term reaching it (end to end), the classifier on every soft prefix (lambda_q 0.1), the
  /// ranking of every hard prefix by the batch's features (rho 0.3, scale 4),
  /// codebooks from the N(0, 0.01^2) start. `train()` and `dpq experiment` use it;
  /// `DPQTrainingOptions()` keeps the released code's SGD with the quantization loss on the
  /// codebooks only.
  public static var recommended: DPQTrainingOptions {
    var o = DPQTrainingOptions()
    o.networkOptimizer = .adam
    o.networkLearningRate = 1e-3
    o.quantizationReachesNetwork = true
    o.prefixClassificationWeight = 0.1
    // Chosen on fm5k-val (docs/dpq.md): rho 0.3, s 4 lifted 24- and 32-bit feature queries by
    // about 0.025 over the recipe without it and kept them rising.
    o.rankingWeight = 0.3
    o.rankingScale = 4
    o.codebookInitialisation = .random
    return o
  }
}
