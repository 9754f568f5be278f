import DPQData
import DPQLanguage
import DPQTensor

/// A labelled dataset: images [n, C, H, W] or feature vectors [n, d] with one class each (or
/// multi-hot labels). `d[i]` is one item, `d[a:b]` a sub-dataset.
final class DatasetObject: ScriptHost {
  package static let scriptType = "dataset"
  let data: LabelledDataset

  init(_ data: LabelledDataset) { self.data = data }

  var description: String { "dataset " + data.description }

  /// Item `i` as a record: its features and label (and multi-hot row).
  func item(_ i: Int) throws -> Value {
    var fields: [(String, Value)] = [
      ("features", .tensor(try data.features.slice(axis: 0, range: i..<(i + 1)).reshaped(data.itemShape))),
      ("label", .int(data.labels[i])),
    ]
    if let mh = data.multiHot {
      fields.append(("labels", .tensor(try mh.slice(axis: 0, range: i..<(i + 1)).reshaped([mh.shape[1]]))))
    }
    return .fields(fields)
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1 else { throw ScriptError.failure("a dataset takes one index (an item) or a slice") }
    switch indices[0] {
    case .value(let v):
      if case .list = v {
        let ids = try v.asIntegers("dataset index")
        return .host(DatasetObject(try data.subset(ids)))
      }
      guard let i = v.integerValue else {
        throw ScriptError.failure(
          "a dataset index must be an integer, a list of integers or a slice, got \(v.typeName)")
      }
      let j = i < 0 ? i + data.count : i
      guard j >= 0 && j < data.count else {
        throw ScriptError.failure("item \(i) is out of range for a dataset of \(data.count) items")
      }
      return try item(j)
    case .slice(let start, let stop, let step):
      let ids = try Interpreter.sliceIndices(count: data.count, start, stop, step)
      return .host(DatasetObject(try data.subset(ids)))
    }
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var i = 0
    let n = data.count
    return AnyIterator { [self] in
      guard i < n else { return nil }
      defer { i += 1 }
      return try? item(i)
    }
  }
}

extension Value {
  /// The value as integers (a list or a rank-1 tensor), for places without an `Arguments`.
  func asIntegers(_ what: String) throws -> [Int] {
    switch self {
    case .list(let l):
      return try l.items.map { v in
        guard let n = v.integerValue else { throw ScriptError.failure("\(what): integers expected, got \(v.repr())") }
        return n
      }
    case .tensor(let t):
      return try t.scalars.map { x in
        guard x.rounded() == x else { throw ScriptError.failure("\(what): integers expected, got \(x)") }
        return Int(x)
      }
    default:
      throw ScriptError.failure("\(what): a list of integers expected, got \(typeName)")
    }
  }
}

/// Mini-batches over a dataset; every pass (`for b in batches`) reshuffles with the next epoch
/// number, as a PyTorch DataLoader does. Each batch is a record {features, labels, indices}.
final class BatchesObject: ScriptHost {
  package static let scriptType = "batches"
  let data: LabelledDataset
  let size: Int
  let shuffle: Bool
  let seed: UInt64
  let dropLast: Bool
  var epoch: Int

  init(_ data: LabelledDataset, size: Int, shuffle: Bool, seed: UInt64, epoch: Int, dropLast: Bool) {
    self.data = data
    self.size = size
    self.shuffle = shuffle
    self.seed = seed
    self.epoch = epoch
    self.dropLast = dropLast
  }

  var count: Int { dropLast ? data.count / size : (data.count + size - 1) / size }

  var description: String {
    "\(count) batches of \(size) from \(data.name) (\(shuffle ? "shuffled, seed \(seed), next epoch \(epoch)" : "in order"))"
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var it = try data.batches(size: size, shuffle: shuffle, seed: seed, epoch: epoch, dropLast: dropLast)
    epoch += 1
    return AnyIterator {
      guard let b = it.next() else { return nil }
      var fields: [(String, Value)] = [
        ("features", .tensor(b.features)), ("labels", .ints(b.labels)), ("indices", .ints(b.indices)),
      ]
      if let mh = b.multiHot { fields.append(("multi_hot", .tensor(mh))) }
      return .fields(fields)
    }
  }
}

/// A retrieval protocol's split of a dataset into train, query and database parts.
final class SplitObject: ScriptHost {
  package static let scriptType = "split"
  let split: Split
  private var cache: [String: DatasetObject] = [:]

  init(_ split: Split) { self.split = split }

  var description: String { "split " + split.description }

  /// A part as a dataset, copied out once and kept.
  func part(_ name: String) -> DatasetObject {
    if let d = cache[name] { return d }
    let d: DatasetObject
    switch name {
    case "train": d = DatasetObject(split.train)
    case "query": d = DatasetObject(split.query)
    default: d = DatasetObject(split.database)
    }
    cache[name] = d
    return d
  }
}

/// Image files decoded on demand (`load_images(..., lazy: true)`); `images[ids]` is a smaller set.
final class ImageSetObject: ScriptHost {
  package static let scriptType = "images"
  let set: ImageSet
  let skipBroken: Bool

  init(_ set: ImageSet, skipBroken: Bool) {
    self.set = set
    self.skipBroken = skipBroken
  }

  var description: String {
    "images \(set.name): \(set.count) files decoded to \(set.itemShape), \(set.classNames.count) classes, \(set.cachedBytes >> 20) of \(set.cacheLimit >> 20) MiB cached"
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1 else { throw ScriptError.failure("images take one index: a list of positions or a slice") }
    let ids: [Int]
    switch indices[0] {
    case .value(let v):
      if let i = v.integerValue { ids = [i < 0 ? i + set.count : i] } else { ids = try v.asIntegers("images index") }
    case .slice(let start, let stop, let step):
      ids = try Interpreter.sliceIndices(count: set.count, start, stop, step)
    }
    return .host(ImageSetObject(try set.subset(ids), skipBroken: skipBroken))
  }
}

/// Mini-batches of an image set, decoded when the loop reaches them.
final class ImageBatchesObject: ScriptHost, ThrowingIterable {
  package static let scriptType = "batches"
  let set: ImageSet
  let size: Int
  let shuffle: Bool
  let seed: UInt64
  let dropLast: Bool
  let skipBroken: Bool
  var epoch: Int

  init(_ set: ImageSet, size: Int, shuffle: Bool, seed: UInt64, epoch: Int, dropLast: Bool, skipBroken: Bool) {
    (self.set, self.size, self.shuffle, self.seed, self.epoch, self.dropLast) = (
      set, size, shuffle, seed, epoch, dropLast
    )
    self.skipBroken = skipBroken
  }

  var count: Int { dropLast ? set.count / size : (set.count + size - 1) / size }

  var description: String { "\(count) batches of \(size) images from \(set.name), decoded on demand" }

  func makeThrowingIterator() throws -> ThrowingIterator {
    var order = Array(0..<set.count)
    if shuffle {
      var rng = RandomGenerator(seed: seed &+ UInt64(truncatingIfNeeded: epoch) &* 0x9E37_79B9_7F4A_7C15)
      order = rng.permutation(set.count)
    }
    epoch += 1
    var cursor = 0
    let (set, size, dropLast, skipBroken) = (self.set, self.size, self.dropLast, self.skipBroken)
    return ThrowingIterator {
      while true {
        let remaining = order.count - cursor
        guard remaining > 0, !(dropLast && remaining < size) else { return nil }
        let ids = Array(order[cursor..<cursor + Swift.min(size, remaining)])
        cursor += ids.count
        // A file that cannot be decoded stops the loop with its name unless skip_broken was
        // given; then the batch is smaller, and a batch with no good file is passed over.
        let (features, kept) = try set.batch(ids, skipBroken: skipBroken)
        guard !kept.isEmpty else { continue }
        var fields: [(String, Value)] = [
          ("features", .tensor(features)),
          ("labels", .ints(kept.map { set.entries[$0].label })), ("indices", .ints(kept)),
        ]
        if let mh = set.multiHot(kept) { fields.append(("multi_hot", .tensor(mh))) }
        return .fields(fields)
      }
    }
  }
}
