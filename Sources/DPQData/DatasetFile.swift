import DPQTensor
import Foundation

/// A labelled dataset from files, told apart by their names, for commands that take a user's own
/// data (`dpq experiment --data`):
///
/// - `.csv`, `.tsv`: one item per row with a label column (`CSV.load`; the last column unless
///   `labelColumn` says otherwise); the labels file is not used.
/// - `.npy`, `.fvecs`, `.bvecs` (also gzipped): one item per row (or an `[n, C, H, W]` .npy of
///   images), with labels from `labels`: a `.npy` of n class indices (or an `[n, L]` 0/1 array
///   for multi-label data), an IDX label file, or a text file of 0/1 rows (`MultiLabelDataset`).
/// - IDX images (`*-idx3-ubyte`, also gzipped): 8-bit pixels scaled to [0, 1] as [n, 1, H, W],
///   with an IDX or .npy label file.
///
/// - a directory: images in one subfolder per class (PNG/JPEG, `ImageSet.folder`), transformed by
///   `images` (channels, size; default RGB at their own size).
///
/// `shape`, when given, reshapes every item (e.g. 784 CSV columns into `[1, 28, 28]` images).
public enum DatasetFile {
  public static func load(
    _ path: String, labels labelsPath: String? = nil,
    labelColumn: CSV.LabelColumn = .index(-1), shape: [Int]? = nil,
    images: ImageTransform? = nil
  ) throws -> LabelledDataset {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    let lower = path.lowercased()
    let data: LabelledDataset
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
      // a folder of images, one subfolder per class (torchvision's ImageFolder), decoded whole
      data = try ImageSet.folder(path, transform: images ?? ImageTransform(channels: 3)).dataset().dataset
    } else if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".csv.gz") {
      data = try CSV.load(
        path, labelColumn: labelColumn, hasHeader: nil, separator: lower.contains(".tsv") ? "\t" : ",")
    } else {
      guard let labelsPath else {
        throw DataError.invalidArgument(
          op: "load",
          reason:
            "\(path) holds no labels: give a labels file (a .npy of class indices, an IDX label file or a text file of 0/1 rows)"
        )
      }
      let features: Tensor
      if isIDX(lower) {
        features = try IDXFile.readScaled(path, expectedRank: 3, hint: "", divisor: 255) { [$0[0], 1, $0[1], $0[2]] }
          .values
      } else {
        features = try MultiLabelDataset.readFeatures(path)
      }
      data = try labelled(features, labelsPath: labelsPath, name: base)
    }
    guard let shape else { return data }
    let itemSize = data.features.shape.dropFirst().reduce(1, *)
    guard shape.allSatisfy({ $0 > 0 }), shape.reduce(1, *) == itemSize else {
      throw DataError.invalidArgument(
        op: "load", reason: "cannot reshape the items of \(path) (\(itemSize) values each) to \(shapeString(shape))")
    }
    return try data.withFeatures(data.features.reshaped([data.count] + shape))
  }

  static func isIDX(_ lowercasedPath: String) -> Bool {
    lowercasedPath.contains("-idx3-ubyte") || lowercasedPath.contains("-idx1-ubyte")
  }

  /// Features with the labels of `labelsPath`, checked to count the same items.
  static func labelled(_ features: Tensor, labelsPath: String, name: String) throws -> LabelledDataset {
    let n = features.rank >= 1 ? features.shape[0] : 0
    let lower = labelsPath.lowercased()
    func sameCount(_ count: Int) throws {
      guard count == n else {
        throw DataError.inconsistent(reason: "the features have \(n) items but \(labelsPath) has \(count) labels")
      }
    }
    if isIDX(lower) {
      let file = try IDXFile.read(labelsPath, expectedRank: 1)
      try sameCount(file.dimensions[0])
      return try LabelledDataset(name: name, features: features, labels: file.bytes.map(Int.init))
    }
    if lower.hasSuffix(".npy") || lower.hasSuffix(".npy.gz") {
      let array = try NPY.readTensor(labelsPath)
      try sameCount(array.rank >= 1 ? array.shape[0] : 0)
      if array.rank == 2 { // multi-hot rows
        let m = array.shape[1]
        let first = (0..<n).map { i in (0..<m).first { j in array.scalars[i * m + j] != 0 } ?? -1 }
        return try LabelledDataset(name: name, features: features, labels: first, multiHot: array)
      }
      guard array.rank == 1 else {
        throw DataError.badValue(
          path: labelsPath,
          reason: "labels must be [n] class indices or [n, L] 0/1 rows, got shape \(shapeString(array.shape))")
      }
      var labels: [Int] = []
      labels.reserveCapacity(n)
      for (i, v) in array.scalars.enumerated() {
        guard v >= 0, v == v.rounded(), v < 1e9 else {
          throw DataError.badValue(
            path: labelsPath, reason: "label \(v) of item \(i) is not a class index (an integer >= 0)")
        }
        labels.append(Int(v))
      }
      return try LabelledDataset(name: name, features: features, labels: labels)
    }
    let file = try MultiLabelDataset.readLabelFile(labelsPath)
    try sameCount(file.multiHot.shape[0])
    return try LabelledDataset(name: name, features: features, labels: file.firstLabels, multiHot: file.multiHot)
  }
}
