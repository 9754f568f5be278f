import DPQTensor

/// The labels of n items as one bitmask per item, so that "shares a label" is an AND.
///
/// Built from single labels (CIFAR-10, Fashion-MNIST), label lists or multi-hot rows (NUS-WIDE).
public struct LabelSets: Equatable {
  /// Number of items.
  public let count: Int
  /// Labels are `0 ..< labelCount`.
  public let labelCount: Int
  /// 64-bit words per item.
  let wordsPerItem: Int
  /// Item-major bitmasks, `wordsPerItem` words per item.
  let masks: [UInt64]

  /// Most distinct labels accepted (keeps masks small: 1,024 words per item at most).
  public static let maxLabelCount = 65_536

  /// One label per item.
  public init(labels: [Int]) throws {
    try self.init(labelLists: labels.map { [$0] })
  }

  /// Any number of labels per item (an empty list: relevant to nothing).
  public init(labelLists: [[Int]]) throws {
    var largest = -1
    for (i, list) in labelLists.enumerated() {
      for l in list {
        guard l >= 0 else {
          throw RetrievalError.invalidLabels(reason: "item \(i) has label \(l); labels must be non-negative integers")
        }
        guard l < LabelSets.maxLabelCount else {
          throw RetrievalError.invalidLabels(
            reason: "item \(i) has label \(l); at most \(LabelSets.maxLabelCount) distinct labels are supported")
        }
        largest = max(largest, l)
      }
    }
    let words = max(1, (largest + 64) / 64)
    var masks = [UInt64](repeating: 0, count: labelLists.count * words)
    for (i, list) in labelLists.enumerated() {
      for l in list { masks[i * words + l / 64] |= 1 << UInt64(l % 64) }
    }
    self.init(count: labelLists.count, labelCount: largest + 1, wordsPerItem: words, masks: masks)
  }

  /// Multi-hot rows `[n, L]` of 0s and 1s: item i has label l iff entry (i, l) is 1.
  public init(multiHot: Tensor) throws {
    guard multiHot.rank == 2 else {
      throw RetrievalError.invalidLabels(
        reason: "multi-hot labels must be a [n, L] tensor, got shape \(format(multiHot.shape))")
    }
    let (n, l) = (multiHot.shape[0], multiHot.shape[1])
    let values = multiHot.scalars
    var lists = [[Int]](repeating: [], count: n)
    for i in 0..<n {
      for j in 0..<l {
        let v = values[i * l + j]
        guard v == 0 || v == 1 else {
          throw RetrievalError.invalidLabels(reason: "multi-hot entry (\(i), \(j)) is \(v); entries must be 0 or 1")
        }
        if v == 1 { lists[i].append(j) }
      }
    }
    try self.init(labelLists: lists)
    // Keep the declared width even when the last labels are unused.
    self = LabelSets(count: count, labelCount: max(labelCount, l), wordsPerItem: wordsPerItem, masks: masks)
  }

  init(count: Int, labelCount: Int, wordsPerItem: Int, masks: [UInt64]) {
    self.count = count
    self.labelCount = labelCount
    self.wordsPerItem = wordsPerItem
    self.masks = masks
  }

  /// The labels of one item, ascending.
  public func labels(of item: Int) throws -> [Int] {
    guard item >= 0 && item < count else {
      throw RetrievalError.itemOutOfRange(op: "LabelSets.labels", item: item, count: count)
    }
    return (0..<(wordsPerItem * 64)).filter { masks[item * wordsPerItem + $0 / 64] & (1 << UInt64($0 % 64)) != 0 }
  }

  /// The label sets of the given items, in that order (a split of a dataset).
  public func items(_ ids: [Int]) throws -> LabelSets {
    var out = [UInt64](repeating: 0, count: ids.count * wordsPerItem)
    for (r, i) in ids.enumerated() {
      guard i >= 0 && i < count else {
        throw RetrievalError.itemOutOfRange(op: "LabelSets.items", item: i, count: count)
      }
      for w in 0..<wordsPerItem { out[r * wordsPerItem + w] = masks[i * wordsPerItem + w] }
    }
    return LabelSets(count: ids.count, labelCount: labelCount, wordsPerItem: wordsPerItem, masks: out)
  }
}

/// Which database items are relevant to which query: those sharing at least one label.
public struct Relevance {
  public let queries: LabelSets
  public let database: LabelSets
  /// Words compared per pair (labels beyond the shorter mask cannot be shared).
  let sharedWords: Int

  public init(queries: LabelSets, database: LabelSets) {
    self.queries = queries
    self.database = database
    sharedWords = min(queries.wordsPerItem, database.wordsPerItem)
  }

  /// Whether database item `item` shares a label with query `query`.
  public func isRelevant(query: Int, item: Int) throws -> Bool {
    try check(query: query, item: item)
    return sharesLabel(query: query, item: item)
  }

  /// Number of database items relevant to `query` (the denominator of recall).
  public func relevantCount(query: Int) throws -> Int {
    try check(query: query, item: 0)
    return (0..<database.count).reduce(0) { $0 + (sharesLabel(query: query, item: $1) ? 1 : 0) }
  }

  /// `isRelevant` without the range checks (ids already validated).
  func sharesLabel(query: Int, item: Int) -> Bool {
    let qw = queries.wordsPerItem
    let dw = database.wordsPerItem
    for w in 0..<sharedWords where queries.masks[query * qw + w] & database.masks[item * dw + w] != 0 { return true }
    return false
  }

  private func check(query: Int, item: Int) throws {
    guard query >= 0 && query < queries.count else {
      throw RetrievalError.itemOutOfRange(op: "Relevance", item: query, count: queries.count)
    }
    guard database.count == 0 || (item >= 0 && item < database.count) else {
      throw RetrievalError.itemOutOfRange(op: "Relevance", item: item, count: database.count)
    }
  }

  /// The relevance of each entry of a ranking (ids into the database).
  public func relevance(query: Int, ranking: [Int]) throws -> [Bool] {
    guard query >= 0 && query < queries.count else {
      throw RetrievalError.itemOutOfRange(op: "Relevance", item: query, count: queries.count)
    }
    return try ranking.map { i in
      guard i >= 0 && i < database.count else {
        throw RetrievalError.itemOutOfRange(op: "Relevance", item: i, count: database.count)
      }
      return sharesLabel(query: query, item: i)
    }
  }
}
