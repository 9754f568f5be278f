import DPQLanguage
import DPQQuantization
import DPQTensor

/// A DPQ model: a feature network and M progressive codebooks of K codewords. Calling it gives
/// class logits; printing it shows the quantizer configuration and the layer table.
final class ModelObject: ScriptHost {
  package static let scriptType = "model"
  let model: DPQModel
  /// The log of the last `train` call (kept when a stop request interrupts it).
  var log: TrainingLogObject?

  init(_ model: DPQModel) { self.model = model }

  var description: String {
    let c = model.configuration
    var lines = [
      "DPQ model: \(c.backbone.rawValue) backbone, input \(Format.shape(c.inputShape)), \(c.classCount) classes\(c.multiLabel ? " (multi-label)" : "")",
      "quantizer: \(c.blockCount) blocks x \(c.codewordCount) codewords of dimension \(c.featureDimension) (\(c.bits(blocks: c.blockCount)) bits), similarity \(c.similarity.rawValue), gamma \(Value.float(c.gamma).repr())",
      "losses: lambda \(Value.float(c.lambda).repr()), tau \(Value.float(c.tau).repr()), mu \(Value.float(c.mu).repr()), nu \(Value.float(c.nu).repr())\(c.classifyReconstruction ? ", classifies reconstructions" : "")",
    ]
    // a one-item zero batch (evaluation mode, no graph) fills in every layer's output shape
    if let table = try? model.network.summary(inputShape: [1] + c.inputShape) { lines.append(table) }
    lines.append(
      "codebooks: \(c.blockCount) x \(Format.shape([c.codewordCount, c.featureDimension])) = \(Format.grouped(c.blockCount * c.codewordCount * c.featureDimension)) parameters"
    )
    return lines.joined(separator: "\n")
  }

  var inputShape: [Int] { model.configuration.inputShape }
}

/// Codes of n items: M integers each in 0..K-1 (stored as bytes when K <= 256).
final class CodesObject: ScriptHost {
  package static let scriptType = "codes"
  let codes: Codes

  init(_ codes: Codes) { self.codes = codes }

  var description: String {
    var lines = ["codes: \(Format.grouped(codes.count)) items x \(codes.blockCount) blocks of K=\(codes.codewordCount)"]
    for i in 0..<min(codes.count, 5) { lines.append("  \(i): " + row(i).map(String.init).joined(separator: " ")) }
    if codes.count > 5 { lines.append("  ...") }
    return lines.joined(separator: "\n")
  }

  func row(_ i: Int) -> [Int] { (0..<codes.blockCount).map { codes[i, $0] } }

  var tensor: Tensor {
    Tensor(shape: [codes.count, codes.blockCount]) { out in
      for i in 0..<codes.count { for m in 0..<codes.blockCount { out[i * codes.blockCount + m] = Float(codes[i, m]) } }
    }
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1 else { throw ScriptError.failure("codes take one index (an item) or a slice") }
    switch indices[0] {
    case .value(let v):
      guard let i = v.integerValue else {
        throw ScriptError.failure("a codes index must be an integer, got \(v.typeName)")
      }
      let j = i < 0 ? i + codes.count : i
      guard j >= 0 && j < codes.count else {
        throw ScriptError.failure("item \(i) is out of range for \(codes.count) codes")
      }
      return .ints(row(j))
    case .slice(let start, let stop, let step):
      return .host(CodesObject(try codes.rows(Interpreter.sliceIndices(count: codes.count, start, stop, step))))
    }
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var i = 0
    return AnyIterator { [self] in
      guard i < codes.count else { return nil }
      defer { i += 1 }
      return .ints(row(i))
    }
  }
}

/// The per-epoch log of a training run: every loss term, accuracy, codeword usage, distortion,
/// learning rate and throughput. Prints as an aligned table.
final class TrainingLogObject: ScriptHost {
  package static let scriptType = "training_log"
  let lines: [DPQEpochLog]
  /// Epochs asked for.
  let requested: Int
  /// Whether the host's stop request (Ctrl-C) ended training early.
  let stopped: Bool

  init(_ lines: [DPQEpochLog], requested: Int, stopped: Bool) {
    self.lines = lines
    self.requested = requested
    self.stopped = stopped
  }

  var description: String {
    guard !lines.isEmpty else { return "training log: no epoch completed" + (stopped ? " (stopped)" : "") }
    func f(_ x: Float, _ d: Int = 4) -> String { Format.fixed(Double(x), d) }
    var rows = [
      ["epoch", "stage", "cls", "soft", "hard", "joint", "total", "acc", "usage", "distortion", "lr", "img/s", "s"]
    ]
    for l in lines {
      let quantized = l.stage == 2
      rows.append([
        String(l.epoch), String(l.stage), f(l.classificationLoss),
        quantized ? f(l.softLoss) : "-", quantized ? f(l.hardLoss) : "-", quantized ? f(l.jointLoss) : "-",
        f(l.totalLoss), Format.fixed(Double(l.accuracy) * 100, 1) + "%",
        quantized ? l.codewordUsage.map { f($0, 2) }.joined(separator: "/") : "-",
        quantized ? l.relativeDistortion.map { f($0, 3) }.joined(separator: "/") : "-",
        f(l.learningRate), Format.grouped(Int(l.imagesPerSecond.rounded())), Format.fixed(l.seconds, 1),
      ])
    }
    var text = Format.table(rows, leftColumns: 0)
    if stopped { text += "\nstopped after \(lines.count) of \(requested) epochs" }
    return text
  }

  /// One epoch as a record.
  func record(_ l: DPQEpochLog) -> Value {
    .fields([
      ("epoch", .int(l.epoch)), ("stage", .int(l.stage)), ("classification", .float(l.classificationLoss)),
      ("soft", .float(l.softLoss)), ("hard", .float(l.hardLoss)), ("joint", .float(l.jointLoss)),
      ("loss", .float(l.totalLoss)), ("accuracy", .float(l.accuracy)), ("usage", .floats(l.codewordUsage)),
      ("distortion", .floats(l.relativeDistortion)), ("lr", .float(l.learningRate)),
      ("images_per_second", .number(l.imagesPerSecond)), ("seconds", .number(l.seconds)),
    ])
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1, case .value(let v) = indices[0], let i = v.integerValue else {
      throw ScriptError.failure("a training log takes one integer index (an epoch, from 0)")
    }
    let j = i < 0 ? i + lines.count : i
    guard j >= 0 && j < lines.count else {
      throw ScriptError.failure("epoch index \(i) is out of range for \(lines.count) epochs")
    }
    return record(lines[j])
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var it = lines.makeIterator()
    return AnyIterator { [self] in it.next().map(record) }
  }
}
