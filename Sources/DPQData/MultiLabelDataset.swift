import DPQTensor

/// Multi-label data in the layout of the NUS-WIDE hashing benchmarks, without decoding images:
/// features from a `.npy`, `.fvecs` or `.bvecs` file (one row per item, e.g. CNN features), and
/// a label file with one line of 0/1 values per item, in the same order:
///
///     0 1 0 0 1 0 ...                      (labels only)
///     images/0001.jpg 0 1 0 0 1 0 ...      (an image list: the path is kept as the item's name)
///
/// Values are separated by spaces, tabs or commas. Class names come from an optional file with
/// one name per line (NUS-WIDE's concept list).
public enum MultiLabelDataset {
  /// Loads features and multi-hot labels; `labels[i]` is item i's first class (-1 if none).
  public static func load(
    features featuresPath: String, labels labelsPath: String,
    classNames classNamesPath: String? = nil, name: String? = nil
  ) throws -> LabelledDataset {
    let features = try readFeatures(featuresPath)
    let labelFile = try readLabelFile(labelsPath)
    let n = labelFile.multiHot.shape[0]
    guard features.rank >= 2, features.shape[0] == n else {
      throw DataError.inconsistent(
        reason:
          "\(featuresPath) has \(features.rank >= 2 ? features.shape[0] : 0) rows of features but \(labelsPath) has \(n) label lines"
      )
    }
    var names: [String]? = nil
    if let p = classNamesPath {
      let list = try TextFiles.names(p)
      guard list.count == labelFile.multiHot.shape[1] else {
        throw DataError.inconsistent(
          reason:
            "\(p) lists \(list.count) class names but \(labelsPath) has \(labelFile.multiHot.shape[1]) labels per line")
      }
      names = list
    }
    let base = featuresPath.split(separator: "/").last.map(String.init) ?? featuresPath
    return try LabelledDataset(
      name: name ?? base, features: features, labels: labelFile.firstLabels,
      multiHot: labelFile.multiHot, classNames: names)
  }

  /// Features by file extension: `.npy` (also `.npy.gz`), `.fvecs`, `.bvecs`.
  static func readFeatures(_ path: String) throws -> Tensor {
    if path.hasSuffix(".npy") || path.hasSuffix(".npy.gz") { return try NPY.readTensor(path) }
    if path.hasSuffix(".fvecs") || path.hasSuffix(".fvecs.gz") { return try Vecs.readFvecs(path) }
    if path.hasSuffix(".bvecs") || path.hasSuffix(".bvecs.gz") { return try Vecs.readBvecs(path) }
    throw DataError.invalidArgument(
      op: "MultiLabelDataset.load",
      reason: "cannot tell the format of \(path): features must be a .npy, .fvecs or .bvecs file")
  }

  /// Reads a label file: the `[n, L]` 0/1 rows, each item's first class, and the item names of
  /// an image list (nil when the lines hold only labels).
  public static func readLabelFile(_ path: String) throws -> (
    multiHot: Tensor, firstLabels: [Int], itemNames: [String]?
  ) {
    let lines = try TextFiles.lines(path)
    guard !lines.isEmpty else { throw DataError.empty(path: path) }
    var values: [Float] = []
    var names: [String] = []
    var firstLabels: [Int] = []
    var width = -1
    var named: Bool? = nil
    for (number, text) in lines {
      var tokens = text.split { $0 == " " || $0 == "\t" || $0 == "," }
      let hasName = tokens.first.map { $0 != "0" && $0 != "1" } ?? false
      if named == nil { named = hasName }
      if hasName != named {
        throw DataError.badRecord(
          path: path, line: number,
          reason: named == true
            ? "the line does not start with an item name like the first line"
            : "the line starts with '\(tokens[0])' but the first line has no item name")
      }
      if hasName { names.append(String(tokens.removeFirst())) }
      if width < 0 { width = tokens.count }
      guard tokens.count == width, width > 0 else {
        throw DataError.badRecord(
          path: path, line: number,
          reason: "expected \(width) labels like line \(lines[0].number), found \(tokens.count)")
      }
      var first = -1
      for (k, t) in tokens.enumerated() {
        switch t {
        case "0": values.append(0)
        case "1":
          values.append(1)
          if first < 0 { first = k }
        default:
          throw DataError.badRecord(
            path: path, line: number, reason: "label \(k + 1) is '\(t.prefix(20))', expected 0 or 1")
        }
      }
      firstLabels.append(first)
    }
    let multiHot = try Tensor(shape: [lines.count, width], scalars: values)
    return (multiHot, firstLabels, named == true ? names : nil)
  }
}
