import DPQNN
import DPQRetrieval
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// Numerical safety, checkpoints and determinism of the DPQ trainer (issue 7).
@Suite struct TrainerRobustnessTests {
  /// A small MLP model on 3 classes of 6-dimensional blobs (dropout on, so its generator counts).
  func configuration() -> DPQConfiguration {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [16]
    c.featureDimension = 8
    c.classCount = 3
    c.blockCount = 2
    c.codewordCount = 8
    c.dropout = 0.25
    return c
  }

  func data(_ n: Int = 96, seed: UInt64 = 5) -> (x: Tensor, labels: [Int]) {
    var g = RandomGenerator(seed: seed)
    let centres = (0..<18).map { _ in 2 * g.nextNormal() }
    var labels: [Int] = []
    let x = Tensor(shape: [n, 6]) { b in
      for i in 0..<n {
        let c = i % 3
        labels.append(c)
        for j in 0..<6 { b[i * 6 + j] = centres[c * 6 + j] + g.nextNormal() }
      }
    }
    return (x, labels)
  }

  func options(epochs: Int = 4) -> DPQTrainingOptions {
    var o = DPQTrainingOptions()
    o.epochs = epochs
    o.batchSize = 16
    o.seed = 3
    o.networkLearningRate = 0.05
    return o
  }

  func parameters(_ m: DPQModel) -> [String: [Float]] {
    Dictionary(uniqueKeysWithValues: m.stateDict().map { ($0.0, $0.1.scalars) })
  }

  func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "dpq-robust-\(getpid())-\(UInt32.random(in: 0...UInt32.max))-" + name
  }

  // MARK: numerical safety

  @Test func allFiniteFindsNaNAndBothInfinities() {
    #expect(allFinite(Tensor([1, -2, 0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude])))
    #expect(allFinite(Tensor([Float]())))
    for bad: Float in [.nan, -.nan, .infinity, -.infinity] {
      #expect(!allFinite(Tensor([1, 2, 3, 4, 5, 6, 7, bad, 9])), "\(bad)")
    }
  }

  @Test func blownUpLearningRateStopsWithANamedErrorAndFiniteParameters() throws {
    let (x, y) = data()
    let model = try DPQModel(configuration(), seed: 1)
    var o = options(epochs: 3)
    o.networkLearningRate = 1e12
    o.mode = .endToEnd
    let trainer = try DPQTrainer(model: model, options: o)
    var caught: QuantizationError?
    do {
      try trainer.fit(inputs: x, labels: y)
    } catch let e as QuantizationError {
      caught = e
    }
    let error = try #require(caught)
    guard case .trainingDiverged(let epoch, let batch, _, let what, _, _) = error else {
      Issue.record("expected trainingDiverged, got \(error)")
      return
    }
    #expect(epoch >= 1 && batch >= 1)
    #expect(what.contains("loss") || what.contains("gradient") || what.contains("non-finite"), "\(what)")
    let message = error.description
    #expect(
      message.contains("epoch \(epoch), batch \(batch)") && message.contains("diverged")
        && message.contains("whose loss and features are finite"), "\(message)")
    // every parameter is finite, and so are the features of the training data
    let after = parameters(model)
    for (name, values) in after {
      #expect(values.allSatisfy { $0.isFinite }, "\(name) is not finite")
    }
    #expect(allFinite(try model.extractFeatures(x)), "\(message)")
  }

  /// NaN or infinity in the data is named by its rows and batch before a step uses it; the
  /// learning rate is not blamed and the model keeps the parameters it had (issue 12).
  @Test func nonFiniteTrainingDataIsNamedByBatchAndRow() throws {
    let (clean, y) = data()
    var values = clean.scalars
    values[17 * 6 + 3] = .nan
    values[40 * 6 + 0] = .infinity
    let x = try Tensor(shape: clean.shape, scalars: values)
    let model = try DPQModel(configuration(), seed: 1)
    let o = options(epochs: 2)
    // the first epoch's batch order is the trainer's first draw from its generator
    var g = RandomGenerator(seed: o.seed)
    let order = g.permutation(96)
    let position = try #require(order.firstIndex { $0 == 17 || $0 == 40 })
    let (row, element, value) = order[position] == 17 ? (17, 3, "NaN") : (40, 0, "inf")
    let batch = position / o.batchSize + 1
    var last = parameters(model)
    var batches = 0
    do {
      try DPQTrainer(model: model, options: o).fit(
        inputs: x, labels: y,
        onBatch: { _, _ in
          batches += 1
          last = parameters(model)
        })
      Issue.record("training on data holding NaN succeeded")
    } catch let e as QuantizationError {
      let message = e.description
      #expect(
        e
          == .nonFiniteTrainingData(
            source: "training data", row: row, element: element, value: value,
            when: "at epoch 1, batch \(batch) (stage 1)", rows: [17, 40], rowCount: 2), "\(message)")
      #expect(
        message.contains("hold \(value) at row \(row) (element \(element) of the row) at epoch 1, batch \(batch)")
          && message.contains("2 rows of the data hold NaN or infinity: 17, 40")
          && message.contains("not the learning rate") && !message.contains("lower the learning rate"), "\(message)")
    }
    #expect(batches == batch - 1)
    #expect(parameters(model) == last, "the batch holding NaN must change nothing")
    #expect(parameters(model).values.allSatisfy { $0.allSatisfy { $0.isFinite } })
  }

  /// The blobs of the language's `blobs(n: 64, classes: 4, dim: 8, seed: 1)` and a BatchNorm MLP
  /// model for them.
  func blobsModel() throws -> (DPQModel, DPQConfiguration, Tensor, [Int]) {
    let (x, y) = BlobsFixture.data(n: 64, classes: 4, dim: 8, seed: 1)
    let c = BlobsFixture.configuration(dim: 8, classes: 4, codewords: 4)
    #expect(c.batchNorm)
    return (try DPQModel(c, seed: 0), c, x, y)
  }

  /// Training that diverges (SGD at lr 1e6, BatchNorm: the language's `train(..., lr: 1e6,
  /// optimizer: "sgd")` on `blobs`) is reported as a divergence, and the model keeps parameters
  /// whose features are finite. Where the run blows up first (a loss, a gradient, an update)
  /// depends on the last bits of libm's results, which differ between CPUs, so this checks only
  /// what holds on every one; the next test fixes the path.
  @Test func aDivergingRunKeepsParametersWithFiniteFeatures() throws {
    let (model, _, x, y) = try blobsModel()
    var o = DPQTrainingOptions.recommended
    o.epochs = 3
    o.batchSize = 16
    o.networkOptimizer = .sgd
    o.networkLearningRate = 1e6
    do {
      try DPQTrainer(model: model, options: o).fit(inputs: x, labels: y)
      Issue.record("training with lr 1e6 succeeded")
    } catch let e as QuantizationError {
      guard case .trainingDiverged(_, _, _, let what, let kept, let hint) = e else {
        Issue.record("\(e)")
        return
      }
      #expect(
        what.contains("diverged") && hint.contains("the loss went from") && hint.contains("learning rate")
          && kept.contains("features") && !kept.contains("not finite"), "\(e)")
    }
    #expect(parameters(model).values.allSatisfy { $0.allSatisfy { $0.isFinite } })
    let features = try model.extractFeatures(x)
    #expect(allFinite(features), "the kept parameters give non-finite features")
    #expect(try model.encode(features: features).count == 64)
  }

  /// The case issue 12 found, made deterministic: a step whose loss is finite leaves BatchNorm
  /// statistics that make the evaluation-mode features infinite (running mean -3e38, variance 0:
  /// training mode normalises by the batch and never sees them), then the next step overflows
  /// (a weight of 3e38).
  /// The state after the last finite step, which dpq used to keep, gives infinite features; the
  /// trainer goes past it to the start of the epoch.
  @Test func aStateWithFiniteLossButInfiniteFeaturesIsNotKept() throws {
    let (model, c, x, y) = try blobsModel()
    var o = DPQTrainingOptions.recommended
    o.epochs = 1
    o.batchSize = 16
    let start = model.stateDict()
    let runningMean = try #require(model.namedBuffers().first { $0.0.hasSuffix("running_mean") }?.1)
    let runningVar = try #require(model.namedBuffers().first { $0.0.hasSuffix("running_var") }?.1)
    let firstWeight = try #require(
      model.namedParameters().first { $0.0.hasSuffix("weight") && $0.1.value.rank == 2 }?.1)
    var lastFinite: [(String, Tensor)] = []
    let onBatch: (Int, Int) -> Void = { done, _ in
      if done == 2 {
        runningMean.value = Tensor(shape: runningMean.value.shape) { $0.initialize(repeating: -3e38) }
        runningVar.value = Tensor(shape: runningVar.value.shape) { $0.initialize(repeating: 0) }
      } else if done == 3 {
        lastFinite = model.stateDict()
        firstWeight.value = Tensor(shape: firstWeight.value.shape) { $0.initialize(repeating: 3e38) }
      }
    }
    do {
      try DPQTrainer(model: model, options: o).fit(inputs: x, labels: y, onBatch: onBatch)
      Issue.record("training with a weight of 3e38 succeeded")
    } catch let e as QuantizationError {
      guard case .trainingDiverged(let epoch, let batch, _, let what, let kept, _) = e else {
        Issue.record("\(e)")
        return
      }
      #expect(epoch == 1 && batch == 4 && what.contains("training diverged"), "\(e)")
      #expect(
        kept == "the parameters it had when epoch 1 started, the last state whose loss and features are finite",
        "\(kept)")
    }
    // the state after batch 3 (finite loss, finite parameters and buffers) gives infinite features
    let old = try DPQModel(c, seed: 0)
    try old.loadStateDict(lastFinite)
    #expect(
      old.namedParameters().allSatisfy { allFinite($0.1.value) }
        && old.namedBuffers().allSatisfy { allFinite($0.1.value) })
    #expect(!allFinite(try old.extractFeatures(x)))
    // the kept one is the start of the epoch: the model's first state
    #expect(try allFinite(model.extractFeatures(x)))
    let kept = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.scalars) })
    #expect(start.allSatisfy { kept[$0.0] == $0.1.scalars })
  }

  @Test func aParameterOverflowIsUndoneToTheLastGoodStep() throws {
    // finite gradients times the largest Float rate overflow in the update itself
    let (x, y) = data()
    let big = try x * 100
    let model = try DPQModel(configuration(), seed: 1)
    var o = options(epochs: 1)
    o.networkLearningRate = .greatestFiniteMagnitude
    o.weightDecay = 0
    o.momentum = 0
    let trainer = try DPQTrainer(model: model, options: o)
    let initial = parameters(model)
    do {
      try trainer.fit(inputs: big, labels: y)
      Issue.record("training with the largest Float rate succeeded")
    } catch {
      #expect(
        "\(error)".contains("the update made") && "\(error)".contains("epoch 1, batch 1")
          && "\(error)".contains("from before the update of epoch 1, batch 1"), "\(error)")
    }
    // (the codebooks were k-means-initialised when stage 2 began, before the step)
    let network = { (p: [String: [Float]]) in p.filter { !$0.key.hasPrefix("codebooks") } }
    #expect(
      network(parameters(model)) == network(initial),
      "the first step failed, so the network keeps its initial parameters")
    #expect(parameters(model).values.allSatisfy { $0.allSatisfy { $0.isFinite } })
    // the optimizer state was restored too: a second fit at a sane rate starts from a clean state
    #expect(trainer.networkOptimizer.stateDict().isEmpty)
  }

  @Test func gradientClippingBoundsTheStepAndIsValidated() throws {
    let (x, y) = data()
    var o = options(epochs: 1)
    o.gradientClipNorm = 1e-3
    o.momentum = 0
    o.weightDecay = 0
    o.mode = .endToEnd
    let model = try DPQModel(configuration(), seed: 1)
    let start = parameters(model)
    try DPQTrainer(model: model, options: o).fit(inputs: x, labels: y)
    // 6 batches of plain SGD with |g| <= 1e-3 and lr <= 0.05 move the network by at most 6 * 5e-5
    var moved = 0.0
    for (name, values) in parameters(model) where !name.hasPrefix("codebooks") {
      moved += zip(values, start[name]!).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    }
    #expect(moved.squareRoot() <= 6 * 0.05 * 1e-3 * 1.001, "moved \(moved.squareRoot())")
    #expect(moved > 0)
    o.gradientClipNorm = 0
    #expect(throws: QuantizationError.self) { try DPQTrainer(model: model, options: o) }
  }

  // MARK: checkpoints

  @Test func resumingFromACheckpointGivesTheUninterruptedRun() throws {
    let (x, y) = data()
    let path = temporaryPath("ck.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }

    let straight = try DPQModel(configuration(), seed: 1)
    let reference = try DPQTrainer(model: straight, options: options())
    try reference.fit(inputs: x, labels: y)

    // the first run stops after 2 of 4 epochs (as Ctrl-C would), with a checkpoint every 2 epochs
    var o = options()
    o.checkpointEvery = 2
    o.checkpointPath = path
    let first = try DPQModel(configuration(), seed: 1)
    let epochs = SharedCounter()
    try DPQTrainer(model: first, options: o).fit(
      inputs: x, labels: y, onEpoch: { _ in epochs.increment() },
      shouldStop: { epochs.value >= 2 })
    #expect(epochs.value == 2)

    // a fresh process: a new model (other initial weights) and trainer continue from the file
    let resumed = try DPQModel(configuration(), seed: 99)
    let trainer = try DPQTrainer(model: resumed, options: o)
    try trainer.resume(from: path)
    #expect(trainer.completedEpochs == 2 && trainer.log.count == 2)
    try trainer.fit(inputs: x, labels: y)
    #expect(parameters(resumed) == parameters(straight), "resume must be bit-identical")
    #expect(trainer.log.map(\.totalLoss) == reference.log.map(\.totalLoss))
    #expect(trainer.log.map(\.epoch) == [1, 2, 3, 4])
  }

  @Test func aStopInsideAnEpochKeepsTheLastWholeEpochsCheckpoint() throws {
    let (x, y) = data()
    let path = temporaryPath("ck.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let straight = try DPQModel(configuration(), seed: 1)
    try DPQTrainer(model: straight, options: options()).fit(inputs: x, labels: y)

    var o = options()
    o.checkpointEvery = 1
    o.checkpointPath = path
    let batches = SharedCounter()
    let first = try DPQTrainer(model: try DPQModel(configuration(), seed: 1), options: o)
    try first.fit(
      inputs: x, labels: y, onBatch: { _, _ in batches.increment() }, shouldStop: { batches.value >= 6 * 2 + 3 })
    let trainer = try DPQTrainer(model: try DPQModel(configuration(), seed: 5), options: o)
    try trainer.resume(from: path)
    #expect(trainer.completedEpochs == 2, "the checkpoint must hold the 2 whole epochs, not the cut one")
    try trainer.fit(inputs: x, labels: y)
    #expect(parameters(trainer.model) == parameters(straight))
  }

  @Test func aCheckpointForAnotherSetupIsRefusedAndChangesNothing() throws {
    let (x, y) = data()
    let path = temporaryPath("ck.safetensors")
    defer { try? FileManager.default.removeItem(atPath: path) }
    var o = options(epochs: 1)
    o.checkpointEvery = 1
    o.checkpointPath = path
    try DPQTrainer(model: try DPQModel(configuration(), seed: 1), options: o).fit(inputs: x, labels: y)

    var other = configuration()
    other.codewordCount = 4
    let model = try DPQModel(other, seed: 2)
    let before = parameters(model)
    #expect(throws: QuantizationError.self) { try DPQTrainer(model: model, options: o).resume(from: path) }
    var batch = o
    batch.batchSize = 8
    let same = try DPQModel(configuration(), seed: 2)
    do {
      try DPQTrainer(model: same, options: batch).resume(from: path)
      Issue.record("a checkpoint with another batch size was accepted")
    } catch {
      #expect("\(error)".contains("batch 16") && "\(error)".contains(path), "\(error)")
    }
    #expect(parameters(model) == before)
    // a model file is not a checkpoint
    let modelPath = temporaryPath("m.safetensors")
    defer { try? FileManager.default.removeItem(atPath: modelPath) }
    try same.save(to: modelPath)
    #expect(throws: QuantizationError.self) { try DPQTrainer(model: same, options: o).resume(from: modelPath) }
  }

  @Test func anUnwritableCheckpointPathFailsBeforeTheFirstEpoch() throws {
    let (x, y) = data()
    var o = options(epochs: 2)
    o.checkpointEvery = 1
    o.checkpointPath = "/nonexistent-dir-\(getpid())/ck.safetensors"
    let trainer = try DPQTrainer(model: try DPQModel(configuration(), seed: 1), options: o)
    var epochs = 0
    do {
      try trainer.fit(inputs: x, labels: y, onEpoch: { _ in epochs += 1 })
      Issue.record("training with an unwritable checkpoint path succeeded")
    } catch {
      #expect("\(error)".contains(o.checkpointPath!) && "\(error)".contains("cannot write"), "\(error)")
    }
    #expect(epochs == 0)
  }

  // MARK: determinism

  @Test func theSameSeedGivesBitIdenticalLossesCodesAndMAP() throws {
    let (x, y) = data(120)
    func run() throws -> (losses: [Float], codes: [[Int]], map: [Double]) {
      let model = try DPQModel(configuration(), seed: 4)
      let trainer = try DPQTrainer(model: model, options: options(epochs: 2))
      try trainer.fit(inputs: x, labels: y)
      let features = try model.extractFeatures(x)
      let codes = try model.encode(features: features)
      let index = try Index(quantizer: model.quantizer, codes: codes, metric: .innerProduct)
      let labels = try LabelSets(labels: y)
      let e = try index.evaluate(
        queries: features, relevance: Relevance(queries: labels, database: labels),
        precisionAt: [10], threads: 1)
      let losses = trainer.log.flatMap {
        [$0.classificationLoss, $0.softLoss, $0.hardLoss, $0.jointLoss, $0.totalLoss]
      }
      return (
        losses, (0..<codes.count).map { i in (0..<codes.blockCount).map { codes[i, $0] } }, e.meanAveragePrecisions
      )
    }
    let a = try run()
    let b = try run()
    #expect(a.losses == b.losses)
    #expect(a.codes == b.codes)
    #expect(a.map == b.map)
    #expect(a.losses.allSatisfy { $0.isFinite } && a.map.allSatisfy { $0 > 0 })
  }
}
