import DPQData
import DPQTensor
import Foundation

/// DPQ model files: safetensors with the configuration and a format version in `__metadata__`
/// (DESIGN.md section 8). Tensor names and layouts are the PyTorch state dict's, so Python's
/// `safetensors.torch.load_file` gives a dict `model.load_state_dict` accepts.
extension DPQModel {
  public static let fileFormat = "dpq-model"
  public static let fileFormatVersion = 1

  /// Writes the model atomically (temporary file, then rename).
  public func save(to path: String, extraMetadata: [String: String] = [:]) throws {
    let config = try JSONEncoder().encode(configuration)
    var meta = extraMetadata
    meta["format"] = DPQModel.fileFormat
    meta["format_version"] = String(DPQModel.fileFormatVersion)
    meta["configuration"] = String(decoding: config, as: UTF8.self)
    let file = SafeTensors(entries: stateDict().map { SafeTensors.Entry(name: $0.0, tensor: $0.1) }, metadata: meta)
    try file.write(to: path)
  }

  /// Reads a model file, checking format, version, configuration (against `expected` when given)
  /// and every tensor's name and shape; errors name the file and the problem.
  public static func load(from path: String, expecting expected: DPQConfiguration? = nil) throws -> DPQModel {
    let file = try SafeTensors.read(path)
    func refuse(_ why: String) -> DataError { .badHeader(path: path, reason: why) }
    guard file.metadata["format"] == fileFormat else {
      throw refuse(
        "not a dpq model file (metadata format is \(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(fileFormat)')"
      )
    }
    guard let v = file.metadata["format_version"].flatMap(Int.init), v <= fileFormatVersion else {
      throw refuse(
        "format version \(file.metadata["format_version"] ?? "missing") is newer than this dpq reads (\(fileFormatVersion))"
      )
    }
    guard let json = file.metadata["configuration"]?.data(using: .utf8),
      let config = try? JSONDecoder().decode(DPQConfiguration.self, from: json)
    else {
      throw refuse("the configuration in the metadata is missing or malformed")
    }
    if let expected, expected != config {
      throw refuse(
        "the model's configuration does not match the expected one (file: \(config.summary); expected: \(expected.summary))"
      )
    }
    try checkDeclaredSize(config, against: file, path: path)
    let model = try DPQModel(config)
    var state: [(String, Tensor)] = []
    for (name, _) in model.stateDict() {
      guard file.entry(name) != nil else { throw DataError.missingEntry(path: path, name: name) }
      state.append((name, try file.tensor(name, path: path)))
    }
    let known = Set(state.map(\.0))
    if let extra = file.entries.first(where: { !known.contains($0.name) }) {
      throw DataError.badEntry(
        path: path, name: extra.name, reason: "not a tensor of this model (configuration: \(config.summary))")
    }
    do { try model.loadStateDict(state) } catch {
      throw DataError.badEntry(path: path, name: "state", reason: "\(error)")
    }
    model.eval()
    return model
  }
}

extension DPQModel {
  /// Refuses a configuration that needs more values than the file holds, before the model is
  /// built: its codebooks (M x K x D) and classifier (C x D) must all be in the file, so a 2.6 KB
  /// file declaring featureDimension 25,000,000 (5.7 GB of fresh parameters) is refused up front.
  static func checkDeclaredSize(_ c: DPQConfiguration, against file: SafeTensors, path: String) throws {
    let held = file.entries.reduce(0) { $0 + $1.bytes.count / $1.dtype.byteCount }
    func product(_ xs: [Int]) -> Int? {
      var p = 1
      for x in xs {
        guard x >= 0 else { return nil }
        let (q, o) = p.multipliedReportingOverflow(by: x)
        if o { return nil }
        p = q
      }
      return p
    }
    let books = product([c.blockCount, c.codewordCount, c.featureDimension])
    let classifier = product([c.classCount, c.featureDimension])
    guard let books, let classifier, !books.addingReportingOverflow(classifier).overflow, books + classifier <= held
    else {
      throw DataError.badHeader(
        path: path,
        reason:
          "the configuration (\(c.summary)) needs more values than the file's \(held) for its codebooks and classifier alone"
      )
    }
  }
}

extension DPQConfiguration {
  /// A one-line summary: backbone, D, M, K, similarity.
  public var summary: String {
    "\(backbone.rawValue) \(inputShape) D=\(featureDimension) M=\(blockCount) K=\(codewordCount) \(similarity.rawValue) gamma=\(gamma)\(batchNorm ? " bn" : "")"
  }
}
