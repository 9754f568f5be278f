import DPQData
import DPQNN
import DPQTensor
import Foundation

/// Training checkpoints: everything a trainer needs to continue exactly where it stopped (model
/// parameters and buffers, both optimizers' states, the batch-order and dropout generators, the
/// epochs done and the log), as one safetensors file replaced atomically.
extension DPQTrainer {
  public static let checkpointFormat = "dpq-checkpoint"
  public static let checkpointFormatVersion = 1

  /// Writes a checkpoint of the current state to `path` (temporary file, then rename: a failed
  /// write leaves the previous checkpoint intact).
  public func saveCheckpoint(to path: String) throws {
    var entries: [SafeTensors.Entry] = []
    for (name, t) in model.stateDict() { entries.append(.init(name: "model." + name, tensor: t)) }
    for (name, t) in networkOptimizer.stateDict() {
      entries.append(.init(name: "network_optimizer." + name, tensor: t))
    }
    for (name, t) in codebookOptimizer.stateDict() {
      entries.append(.init(name: "codebook_optimizer." + name, tensor: t))
    }
    func words(_ state: [UInt64]) -> [Int] { state.map { Int(Int64(bitPattern: $0)) } }
    entries.append(.init(name: "generator", integers: words(rng.state), shape: [6], dtype: .int64))
    for (name, dropout) in dropoutModules() {
      entries.append(.init(name: "dropout." + name, integers: words(dropout.generatorState), shape: [6], dtype: .int64))
    }
    if let a = augmenter {
      entries.append(.init(name: "augmenter", integers: words(a.generatorState), shape: [6], dtype: .int64))
    }
    let meta: [String: String] = [
      "format": DPQTrainer.checkpointFormat,
      "format_version": String(DPQTrainer.checkpointFormatVersion),
      "configuration": String(decoding: try JSONEncoder().encode(model.configuration), as: UTF8.self),
      "training": trainingKey,
      "epochs_done": String(epochsDone),
      "codebooks_initialised": codebooksInitialised ? "true" : "false",
      "log": String(decoding: try JSONEncoder().encode(log), as: UTF8.self),
    ]
    try SafeTensors(entries: entries, metadata: meta).write(to: path)
  }

  /// Continues from a checkpoint written by a trainer with the same model configuration, batch
  /// size, seed, mode and warm-up: the next `fit` runs the epochs after the checkpoint's, and gives
  /// the same parameters as one uninterrupted run. Nothing changes if the file is refused.
  public func resume(from path: String) throws {
    let file = try SafeTensors.read(path)
    func refuse(_ why: String) -> QuantizationError { .invalidArgument(op: "resume", reason: "\(path): \(why)") }
    guard file.metadata["format"] == DPQTrainer.checkpointFormat else {
      throw refuse(
        "not a dpq training checkpoint (format \(file.metadata["format"].map { "'\($0)'" } ?? "missing"); a model file is loaded with load_model)"
      )
    }
    guard let version = file.metadata["format_version"].flatMap(Int.init), version <= DPQTrainer.checkpointFormatVersion
    else {
      throw refuse("format version \(file.metadata["format_version"] ?? "missing") is newer than this dpq reads")
    }
    guard let json = file.metadata["configuration"]?.data(using: .utf8),
      let configuration = try? JSONDecoder().decode(DPQConfiguration.self, from: json)
    else {
      throw refuse("the model configuration in the metadata is missing or malformed")
    }
    guard configuration == model.configuration else {
      throw refuse(
        "it was written for another model (\(configuration.summary)); this model is \(model.configuration.summary)")
    }
    guard file.metadata["training"] == trainingKey else {
      throw refuse(
        "it was written with other training settings (\(file.metadata["training"] ?? "none")); resuming needs the same: \(trainingKey)"
      )
    }
    guard let done = file.metadata["epochs_done"].flatMap(Int.init), done >= 0,
      let logJSON = file.metadata["log"]?.data(using: .utf8),
      let savedLog = try? JSONDecoder().decode([DPQEpochLog].self, from: logJSON)
    else {
      throw refuse("the epoch count or the log in the metadata is missing or malformed")
    }
    var modelState: [(String, Tensor)] = []
    var networkState: [(String, Tensor)] = []
    var codebookState: [(String, Tensor)] = []
    for e in file.entries where e.dtype == .float32 {
      let t = try file.tensor(e.name, path: path)
      if e.name.hasPrefix("model.") {
        modelState.append((String(e.name.dropFirst(6)), t))
      } else if e.name.hasPrefix("network_optimizer.") {
        networkState.append((String(e.name.dropFirst(18)), t))
      } else if e.name.hasPrefix("codebook_optimizer.") {
        codebookState.append((String(e.name.dropFirst(19)), t))
      } else {
        throw refuse("unexpected tensor '\(e.name)'")
      }
    }
    func generatorState(_ name: String) throws -> [UInt64] {
      let words = try file.integers(name, path: path).values.map { UInt64(bitPattern: Int64($0)) }
      guard RandomGenerator(state: words) != nil else { throw refuse("'\(name)' is not a generator state") }
      return words
    }
    let generator = try generatorState("generator")
    let dropouts = try dropoutModules().map { ($0.1, try generatorState("dropout." + $0.0)) }
    if augmenter != nil && file.entry("augmenter") == nil {
      throw refuse("it was written without augmentation; resume with the same augmentation settings")
    }
    let augmenterState = augmenter != nil ? try generatorState("augmenter") : nil
    // Check everything against a scratch copy first, so a refused file changes nothing.
    let before = (model.stateDict(), networkOptimizer.stateDict(), codebookOptimizer.stateDict())
    do {
      try model.loadStateDict(modelState)
      try networkOptimizer.loadStateDict(networkState)
      try codebookOptimizer.loadStateDict(codebookState)
    } catch {
      try? model.loadStateDict(before.0)
      try? networkOptimizer.loadStateDict(before.1)
      try? codebookOptimizer.loadStateDict(before.2)
      throw refuse("\(error)")
    }
    for (dropout, state) in dropouts { try dropout.restoreGenerator(state: state) }
    if let a = augmenter, let state = augmenterState { try a.restoreGenerator(state: state) }
    rng = RandomGenerator(state: generator) ?? rng
    epochsDone = done
    codebooksInitialised = file.metadata["codebooks_initialised"] == "true"
    log = savedLog
  }

  /// The number of epochs this trainer has completed (including those of a resumed checkpoint).
  public var completedEpochs: Int { epochsDone }

  /// The settings a checkpoint must share with the trainer that resumes it.
  var trainingKey: String {
    "batch \(options.batchSize), seed \(options.seed), mode \(options.mode.rawValue), warmup \(options.resolvedWarmup), init \(options.codebookInitialisation.rawValue)"
      // SGD checkpoints written before the optimizer was a choice keep their key.
      + (options.networkOptimizer == .sgd ? "" : ", network optimizer \(options.networkOptimizer.rawValue)")
  }

  func dropoutModules() -> [(String, Dropout)] {
    model.namedModules().compactMap { name, m in (m as? Dropout).map { (name, $0) } }
  }
}
