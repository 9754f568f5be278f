import DPQData
import DPQTensor

/// Quantizer files (PQ, OPQ, RQ, a DPQ model's quantizer): safetensors whose `__metadata__` holds
/// the quantizer's `configuration`, `format` = "dpq-quantizer" and a `format_version`, and whose
/// tensors are its `stateTensors()`. Written atomically; a file of another format, or of a newer
/// version than this dpq reads, is refused with a message naming it.
public enum QuantizerFile {
  public static let format = "dpq-quantizer"
  public static let formatVersion = 1

  /// Writes `quantizer` to `path` (temporary file, then rename).
  public static func save(_ quantizer: some VectorQuantizer, to path: String) throws {
    var meta = quantizer.configuration
    meta["format"] = format
    meta["format_version"] = String(formatVersion)
    let entries = quantizer.stateTensors().map { SafeTensors.Entry(name: $0.0, tensor: $0.1) }
    try SafeTensors(entries: entries, metadata: meta).write(to: path)
  }

  /// Reads the quantizer `save` wrote.
  public static func load(from path: String) throws -> any VectorQuantizer {
    let file = try SafeTensors.read(path)
    func refuse(_ why: String) -> DataError { .badHeader(path: path, reason: why) }
    guard file.metadata["format"] == format else {
      throw refuse(
        "not a dpq quantizer file (metadata format is \(file.metadata["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)')"
      )
    }
    // Files written before the version was checked carry "1" as well; a missing version is a
    // file this dpq did not write.
    guard let version = file.metadata["format_version"].flatMap(Int.init), version >= 1, version <= formatVersion else {
      throw refuse(
        "format version \(file.metadata["format_version"] ?? "missing") is not one this dpq reads (1 to \(formatVersion))"
      )
    }
    var config = file.metadata
    config["format"] = nil
    config["format_version"] = nil
    let tensors = try file.entries.map { ($0.name, try file.tensor($0.name, path: path)) }
    return try QuantizerLoader.load(configuration: config, tensors: tensors)
  }
}
