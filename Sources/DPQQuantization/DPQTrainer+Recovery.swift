import CKernels
import DPQData
import DPQNN
import DPQTensor

/// What training does when it meets a NaN or infinity: bad training data is named by its rows
/// before any step uses it, and a diverged step goes back to the last state whose loss was
/// finite and whose features are finite on the training data.
extension DPQTrainer {
  /// Refuses a batch whose inputs (or multi-hot targets) hold NaN or infinity, naming the rows of
  /// the data given to `fit` (`rows[i]` is the data row of the batch's row i); nothing has changed
  /// yet, so the model keeps the state it had. `all` is the whole tensor the batch came from, whose
  /// bad rows the message counts; nil when the batch was made from it (augmentation).
  func checkBatch(_ batch: Tensor, rows: [Int], source: String, all: Tensor?, when: String) throws {
    guard !allFinite(batch) else { return }
    let (row, element, value) = firstNonFinite(batch, rows: rows)
    let bad = all.map(nonFiniteRows) ?? []
    let text = value.isNaN ? "NaN" : (value > 0 ? "inf" : "-inf")
    throw QuantizationError.nonFiniteTrainingData(
      source: source, row: row, element: element, value: text,
      when: when, rows: Array(bad.prefix(10)), rowCount: bad.count)
  }

  /// The data row, the element within the row and the value of the first non-finite element of
  /// `batch`, whose row i is row `rows[i]` of the data.
  func firstNonFinite(_ batch: Tensor, rows: [Int]) -> (row: Int, element: Int, value: Float) {
    let n = max(1, batch.shape.first ?? 1)
    let width = batch.count / n
    return batch.withUnsafeBufferPointer { b in
      guard let i = b.firstIndex(where: { !$0.isFinite }) else { return (-1, -1, 0) }
      let r = width > 0 ? i / width : 0
      return (r < rows.count ? rows[r] : r, width > 0 ? i % width : 0, b[i])
    }
  }

  /// The rows of `t` [n, ...] that hold a NaN or an infinity, in order.
  func nonFiniteRows(_ t: Tensor) -> [Int] {
    let n = t.shape.first ?? 0
    guard n > 0 else { return [] }
    let width = t.count / n
    return t.withUnsafeBufferPointer { b in
      (0..<n).filter { r in !allFinite(UnsafeBufferPointer(rebasing: b[(r * width)..<((r + 1) * width)])) }
    }
  }

  /// Whether the features (evaluation mode) of every training row with finite inputs are finite:
  /// the test a state must pass before a diverged run keeps it, since a finite loss in training
  /// mode does not guarantee it (BatchNorm's running statistics, other rows).
  func featuresAreFinite(inputs: any BatchSource) throws -> Bool {
    guard model.namedParameters().allSatisfy({ allFinite($0.1.value) }),
      model.namedBuffers().allSatisfy({ allFinite($0.1.value) })
    else { return false }
    let wasTraining = model.isTraining
    model.eval()
    defer { model.train(wasTraining) }
    let n = inputs.itemCount
    let size = 256
    var finite = true
    try Tensor.withNoGrad {
      var start = 0
      while start < n && finite {
        let end = min(n, start + size)
        let slice = try inputs.batch(range: start..<end)
        let x = try model.network.features(slice)
        if !allFinite(x) {
          // a row whose input is not finite cannot have finite features; only the others count
          let badInputs = Set(nonFiniteRows(slice))
          finite = Set(nonFiniteRows(x)).isSubset(of: badInputs)
        }
        start = end
      }
    }
    return finite
  }

  /// After a NaN or infinity at a step: puts the model back to the latest of `candidates` (newest
  /// first) whose features are finite, and says which it kept. `currentIsCandidate` when the
  /// failing step's own forward pass was finite (a gradient that overflowed).
  func recover(
    inputs: any BatchSource, currentIsCandidate: Bool,
    candidates: [(TrainingStateCopy, String)]
  ) throws -> String {
    if currentIsCandidate, try featuresAreFinite(inputs: inputs) {
      return "the parameters this step was computed with (its loss was finite, and so are its features)"
    }
    for (state, label) in candidates where state.taken {
      try state.restore(self)
      if try featuresAreFinite(inputs: inputs) { return label + ", the last state whose loss and features are finite" }
    }
    if let (first, label) = candidates.last(where: { $0.0.taken }) {
      try first.restore(self)
      return label + " (its features are not finite either: check the model and the scale of the data)"
    }
    return "its parameters"
  }
}

/// Whether every value of `b` is finite: no value has the all-ones exponent of NaN and infinity.
func allFinite(_ b: UnsafeBufferPointer<Float>) -> Bool {
  guard let base = b.baseAddress, b.count > 0 else { return true }
  return dpq_all_finite(base, b.count) == 1 // the largest exponent field, vectorised in C
}

/// Everything a training step changes: the model's parameters and buffers and both optimizers'
/// states, copied into buffers that are reused, so the copy before every update allocates
/// nothing after the first.
final class TrainingStateCopy {
  private var values: [[Float]] = []
  private let network = OptimizerStateCopy()
  private let codebooks = OptimizerStateCopy()
  private var epochsDone = 0, logCount = 0, codebooksInitialised = false
  /// Whether anything has been copied since the last `forget()`.
  private(set) var taken = false
  /// When the copy was taken ("epoch 2, batch 3"), for messages.
  private(set) var label = ""

  /// Marks the copy empty (a new `fit`); its buffers stay for reuse.
  func forget() { taken = false }

  func capture(_ trainer: DPQTrainer, label: String = "") {
    let tensors = trainer.model.namedParameters().map(\.1.value) + trainer.model.namedBuffers().map(\.1.value)
    if values.count != tensors.count || zip(values, tensors).contains(where: { $0.0.count != $0.1.count }) {
      values = tensors.map { [Float](repeating: 0, count: $0.count) }
    }
    for (i, t) in tensors.enumerated() where t.count > 0 {
      t.withUnsafeBufferPointer { src in
        values[i].withUnsafeMutableBufferPointer { dst in
          dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
        }
      }
    }
    trainer.networkOptimizer.saveState(into: network)
    trainer.codebookOptimizer.saveState(into: codebooks)
    (epochsDone, logCount, codebooksInitialised) = (trainer.epochsDone, trainer.log.count, trainer.codebooksInitialised)
    self.label = label
    taken = true
  }

  /// Puts the copied state back: parameters, buffers, optimizer states, and the epoch count and
  /// log that go with them.
  func restore(_ trainer: DPQTrainer) throws {
    guard taken else { return }
    let parameters = trainer.model.namedParameters().map(\.1)
    let buffers = trainer.model.namedBuffers().map(\.1)
    for (p, v) in zip(parameters, values) { p.value = try Tensor(shape: p.value.shape, scalars: v) }
    for (b, v) in zip(buffers, values.dropFirst(parameters.count)) {
      b.value = try Tensor(shape: b.value.shape, scalars: v)
    }
    trainer.networkOptimizer.restoreState(from: network)
    trainer.codebookOptimizer.restoreState(from: codebooks)
    trainer.epochsDone = epochsDone
    trainer.log.removeLast(max(0, trainer.log.count - logCount))
    trainer.codebooksInitialised = codebooksInitialised
  }
}
