import CZlib
import DPQTensor
import Foundation

/// `split.json`, written beside a saved split's three index files, so `Splits.fromDirectory`
/// can tell a complete split from a save that failed midway (which left new train.npy beside old
/// query.npy, and load_split accepted the mix). A save first writes the manifest as "writing",
/// then the parts, then the manifest with each part's size and CRC-32.
enum SplitManifest {
  static let fileName = "split.json"
  static let parts = ["train.npy", "query.npy", "database.npy"]

  /// Size and CRC-32 of a file's bytes.
  static func fingerprint(_ path: String) throws -> [String: Int] {
    let bytes = try DataFile(path: path).readAll(limit: Tensor.elementLimit * 4, what: "a split's index file")
    let crc = bytes.withUnsafeBufferPointer { b in
      // zlib takes a 32-bit length; split files are small, but chunk anyway
      var c = crc32(0, nil, 0)
      var offset = 0
      while offset < b.count {
        let n = min(b.count - offset, 1 << 30)
        c = crc32(c, b.baseAddress! + offset, uInt(n))
        offset += n
      }
      return c
    }
    return ["bytes": bytes.count, "crc32": Int(crc)]
  }

  static func write(_ object: [String: Any], directory: String) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    try AtomicWriter.write(joinPath(directory, fileName), bytes: [UInt8](data))
  }

  /// Saves `split`'s parts under the protocol above.
  static func save(_ split: Split, directory: String) throws {
    try write(["format": "dpq-split", "state": "writing"], directory: directory)
    let parts = zip(parts, [split.trainIndices, split.queryIndices, split.databaseIndices])
    var files: [String: Any] = [:]
    for (name, indices) in parts {
      let path = joinPath(directory, name)
      try NPY.write(integers: indices, to: path)
      files[name] = try fingerprint(path)
    }
    try write(["format": "dpq-split", "state": "complete", "version": 1, "files": files], directory: directory)
  }

  /// Refuses the parts in `directory` unless they are the ones its manifest names; a directory
  /// without a manifest (index files published with a benchmark) is taken as it is.
  static func verify(directory: String) throws {
    let path = joinPath(directory, fileName)
    guard fileExists(path) else { return }
    let text = try DataFile(path: path).readAll(limit: 1 << 20, what: "a split manifest")
    let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any]
    guard let object, object["format"] as? String == "dpq-split" else {
      throw DataError.badHeader(path: path, reason: "not a dpq split manifest")
    }
    guard object["state"] as? String == "complete", let files = object["files"] as? [String: [String: Int]] else {
      throw DataError.badValue(
        path: path,
        reason: "the split in \(directory) was not completely saved (a save failed or was interrupted); save it again")
    }
    for name in parts {
      let part = joinPath(directory, name)
      guard let expected = files[name], try fingerprint(part) == expected else {
        throw DataError.badValue(
          path: part,
          reason:
            "does not match \(fileName) (size or CRC-32 differ): the split's files come from different saves or were changed"
        )
      }
    }
  }
}

extension Split {
  /// Writes `train.npy`, `query.npy` and `database.npy` (int64 indices into the source) and the
  /// manifest `split.json` to `directory`, so other tools (or `Splits.fromDirectory`) can
  /// reproduce the split and a half-finished save is detected.
  public func save(directory: String) throws { try SplitManifest.save(self, directory: directory) }
}

extension Splits {
  /// A split saved by `Split.save` (or published as three index files) in `directory`; with a
  /// manifest, the files must be the ones it names.
  public static func fromDirectory(_ source: LabelledDataset, directory: String, name: String? = nil) throws -> Split {
    try SplitManifest.verify(directory: directory)
    return try fromIndexFiles(
      source, train: joinPath(directory, "train.npy"), query: joinPath(directory, "query.npy"),
      database: joinPath(directory, "database.npy"), name: name ?? "split from \(directory)")
  }
}
