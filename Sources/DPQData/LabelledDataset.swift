import DPQTensor

/// A labelled set of items: images `[n, c, h, w]` scaled to [0, 1], or feature vectors `[n, d]`.
///
/// Single-label data has one class per item in `labels`. Multi-label data (NUS-WIDE style) also
/// has `multiHot`, an `[n, L]` tensor of 0/1; there `labels[i]` is the first class item i has, or
/// -1 if it has none, so per-class tools still work. Two items are relevant to each other in
/// retrieval when they share a class (for multi-label data: any class).
public struct LabelledDataset: CustomStringConvertible, Sendable {
  /// A short name shown in descriptions, e.g. "Fashion-MNIST train".
  public var name: String
  /// The items, first axis indexing items.
  public private(set) var features: Tensor
  /// One class per item, in `0..<classCount` (-1 allowed only for multi-label items with none).
  public private(set) var labels: [Int]
  /// `[n, L]` 0/1 labels for multi-label data; nil for single-label data.
  public private(set) var multiHot: Tensor?
  /// The name of each class; `labels` index it.
  public private(set) var classNames: [String]

  /// The most classes a dataset may have without naming them (16,777,216, 2^24).
  public static let maxClassCount = 1 << 24

  /// A dataset, after checking that features, labels, multi-hot rows and class names agree.
  /// Without `classNames` the classes are named "0", "1", ...
  public init(
    name: String = "data", features: Tensor, labels: [Int], multiHot: Tensor? = nil,
    classNames: [String]? = nil
  ) throws {
    let op = "LabelledDataset"
    guard features.rank >= 2 else {
      throw DataError.invalidArgument(
        op: op,
        reason: "features need a first axis of items and at least one more (got shape \(shapeString(features.shape)))")
    }
    guard features.shape[0] == labels.count else {
      throw DataError.invalidArgument(op: op, reason: "\(features.shape[0]) items but \(labels.count) labels")
    }
    // classes get a name, a count and a member list each: a stray label of 10^12 would ask for
    // terabytes (and Int.max + 1 traps), so labels are bounded before anything per class is made
    if classNames == nil, let i = labels.firstIndex(where: { $0 >= LabelledDataset.maxClassCount }) {
      throw DataError.invalidArgument(
        op: op,
        reason: "label \(labels[i]) of item \(i) is larger than dpq's limit of \(LabelledDataset.maxClassCount) classes"
      )
    }
    var classCount = classNames?.count ?? ((labels.max() ?? -1) + 1)
    if let m = multiHot {
      guard m.rank == 2, m.shape[0] == labels.count else {
        throw DataError.invalidArgument(
          op: op, reason: "multiHot must be [\(labels.count), L], got \(shapeString(m.shape))")
      }
      guard classNames == nil || classNames?.count == m.shape[1] else {
        throw DataError.invalidArgument(
          op: op, reason: "\(classNames?.count ?? 0) class names for \(m.shape[1]) labels")
      }
      classCount = m.shape[1]
      let bad = m.withUnsafeBufferPointer { $0.firstIndex { $0 != 0 && $0 != 1 } }
      if let i = bad {
        throw DataError.invalidArgument(
          op: op, reason: "multiHot must hold 0 or 1; item \(i / classCount) has \(m.scalars[i])")
      }
    }
    let lowest = multiHot == nil ? 0 : -1
    if let i = labels.firstIndex(where: { $0 < lowest || $0 >= classCount }) {
      throw DataError.invalidArgument(op: op, reason: "label \(labels[i]) of item \(i) is not in 0..<\(classCount)")
    }
    self.name = name
    self.features = features
    self.labels = labels
    self.multiHot = multiHot
    self.classNames = classNames ?? (0..<classCount).map(String.init)
  }

  /// Builds without validation, for parts of a dataset already validated.
  init(unchecked name: String, features: Tensor, labels: [Int], multiHot: Tensor?, classNames: [String]) {
    self.name = name
    self.features = features
    self.labels = labels
    self.multiHot = multiHot
    self.classNames = classNames
  }

  /// Number of items (n).
  public var count: Int { labels.count }
  /// The shape of one item, e.g. `[1, 28, 28]` or `[d]`.
  public var itemShape: [Int] { Array(features.shape.dropFirst()) }
  /// Values per item.
  public var itemSize: Int { itemShape.reduce(1, *) }
  /// Number of classes (L for multi-label data).
  public var classCount: Int { classNames.count }
  /// Whether items can have several classes (`multiHot` is set).
  public var isMultiLabel: Bool { multiHot != nil }

  /// Items per class, by `labels`.
  public func classCounts() -> [Int] {
    var counts = [Int](repeating: 0, count: classCount)
    for l in labels where l >= 0 { counts[l] += 1 }
    return counts
  }

  /// The dataset's items at `indices`, in that order (repeats allowed).
  public func subset(_ indices: [Int]) throws -> LabelledDataset {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError.invalidArgument(op: "subset", reason: "index \(bad) is out of range for \(count) items")
    }
    return subsetUnchecked(indices)
  }

  /// `subset` for indices known to be in range.
  func subsetUnchecked(_ indices: [Int], name: String? = nil) -> LabelledDataset {
    LabelledDataset(
      unchecked: name ?? self.name, features: gatherRows(features, indices),
      labels: indices.map { labels[$0] }, multiHot: multiHot.map { gatherRows($0, indices) },
      classNames: classNames)
  }

  /// This dataset followed by `other`; item shapes, class names and label kinds must agree.
  public func concatenated(with other: LabelledDataset, name: String? = nil) throws -> LabelledDataset {
    let op = "concatenated"
    guard itemShape == other.itemShape else {
      throw DataError.invalidArgument(
        op: op, reason: "item shapes \(shapeString(itemShape)) and \(shapeString(other.itemShape)) differ")
    }
    guard classNames == other.classNames else {
      throw DataError.invalidArgument(op: op, reason: "the datasets have different class names")
    }
    guard isMultiLabel == other.isMultiLabel else {
      throw DataError.invalidArgument(op: op, reason: "one dataset is multi-label and the other is not")
    }
    let joined = concatenateRows(features, other.features)
    let hot = multiHot.flatMap { a in other.multiHot.map { b in concatenateRows(a, b) } }
    return LabelledDataset(
      unchecked: name ?? "\(self.name) + \(other.name)", features: joined,
      labels: labels + other.labels, multiHot: hot, classNames: classNames)
  }

  /// Replaces the features (same number of items), e.g. with a network's embeddings.
  public func withFeatures(_ newFeatures: Tensor) throws -> LabelledDataset {
    guard newFeatures.rank >= 2, newFeatures.shape[0] == count else {
      throw DataError.invalidArgument(
        op: "withFeatures", reason: "need \(count) items, got shape \(shapeString(newFeatures.shape))")
    }
    var copy = self
    copy.features = newFeatures
    return copy
  }

  public var description: String {
    let names =
      classNames.count <= 10
      ? classNames.joined(separator: ", ")
      : classNames.prefix(8).joined(separator: ", ") + ", ..."
    let kind = isMultiLabel ? "multi-label classes" : "classes"
    return "\(name): \(count) items of shape \(shapeString(itemShape)), \(classCount) \(kind) (\(names))"
  }
}

/// Rows `indices` of `source` (first axis) into a new tensor, one memcpy per row.
func gatherRows(_ source: Tensor, _ indices: [Int]) -> Tensor {
  let rowSize = source.shape.dropFirst().reduce(1, *)
  return Tensor(shape: [indices.count] + source.shape.dropFirst()) { out in
    indices.withUnsafeBufferPointer { copyRows(source, $0, into: out.baseAddress, rowSize: rowSize) }
  }
}

/// Copies rows `indices` of `source` to consecutive rows at `destination`.
func copyRows(
  _ source: Tensor, _ indices: UnsafeBufferPointer<Int>, into destination: UnsafeMutablePointer<Float>?,
  rowSize: Int
) {
  guard rowSize > 0, let out = destination else { return }
  source.withUnsafeBufferPointer { src in
    guard let base = src.baseAddress else { return }
    for (j, i) in indices.enumerated() {
      (out + j * rowSize).update(from: base + i * rowSize, count: rowSize)
    }
  }
}

/// `a` followed by `b` along the first axis; the other axes must agree (checked by callers).
func concatenateRows(_ a: Tensor, _ b: Tensor) -> Tensor {
  Tensor(shape: [a.shape[0] + b.shape[0]] + a.shape.dropFirst()) { out in
    guard let base = out.baseAddress else { return }
    a.withUnsafeBufferPointer { if let p = $0.baseAddress { base.update(from: p, count: $0.count) } }
    b.withUnsafeBufferPointer { if let p = $0.baseAddress { (base + a.count).update(from: p, count: $0.count) } }
  }
}
