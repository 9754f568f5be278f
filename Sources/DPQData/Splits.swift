import DPQTensor

/// The retrieval protocols: seeded, and identical on every machine (they draw from DPQTensor's
/// `RandomGenerator` in a fixed order). Index arrays in a `Split` are sorted ascending.
public enum Splits {
  /// Per-class sampling from one dataset, as in the paper's CIFAR-10 protocol: `query` items
  /// per class, then `train` items per class from the rest; the database is everything that is
  /// not a query, minus the training items unless `trainInDatabase` (CIFAR-10: 1,000 queries,
  /// 5,000 training items, a 54,000-item database). `databaseLimit` keeps a seeded sample of
  /// the database (the training items first when they belong to it), for fast runs.
  /// Multi-label items without any class (label -1) are never sampled but stay in the database.
  public static func perClass(
    _ dataset: LabelledDataset, train: Int, query: Int, seed: UInt64,
    trainInDatabase: Bool = false, databaseLimit: Int? = nil,
    name: String? = nil
  ) throws -> Split {
    var rng = RandomGenerator(seed: seed)
    let queryIndices = try sample(dataset, perClass: query, excluding: [], using: &rng, op: "perClass (query)")
    let trainIndices = try sample(
      dataset, perClass: train, excluding: Set(queryIndices), using: &rng, op: "perClass (train)")
    let excluded = Set(queryIndices).union(trainInDatabase ? [] : trainIndices)
    let rest = (0..<dataset.count).filter { !excluded.contains($0) }
    let database = try limitDatabase(
      rest, keeping: trainInDatabase ? trainIndices : [], limit: databaseLimit, using: &rng)
    return try Split(
      name: name ?? "per-class \(train)/\(query) (seed \(seed))", source: dataset,
      trainIndices: trainIndices, queryIndices: queryIndices, databaseIndices: database)
  }

  /// Uniform sampling, as in the NUS-WIDE protocol (10,000 training items, 5,000 queries,
  /// database the rest): `query` random items, then `train` from the rest.
  public static func random(
    _ dataset: LabelledDataset, train: Int, query: Int, seed: UInt64,
    trainInDatabase: Bool = false, databaseLimit: Int? = nil,
    name: String? = nil
  ) throws -> Split {
    guard train >= 0, query >= 0, !train.addingReportingOverflow(query).overflow, train + query <= dataset.count else {
      throw DataError.invalidArgument(
        op: "Splits.random",
        reason: "cannot take \(query) queries and \(train) training items from \(dataset.count) items")
    }
    var rng = RandomGenerator(seed: seed)
    let order = try rng.choice(dataset.count, count: query + train)
    let queryIndices = order[0..<query].sorted()
    let trainIndices = order[query...].sorted()
    let excluded = Set(queryIndices).union(trainInDatabase ? [] : trainIndices)
    let rest = (0..<dataset.count).filter { !excluded.contains($0) }
    let database = try limitDatabase(
      rest, keeping: trainInDatabase ? trainIndices : [], limit: databaseLimit, using: &rng)
    return try Split(
      name: name ?? "random \(train)/\(query) (seed \(seed))", source: dataset,
      trainIndices: trainIndices, queryIndices: queryIndices, databaseIndices: database)
  }

  /// The protocol for a dataset that ships as train and test parts (dpq's Fashion-MNIST
  /// protocols): `queryPerClass` queries per class from `test`; the database is every other item
  /// of train and test; training items are `trainPerClass` per class from `train` (all of
  /// `train` when nil), and are also in the database. The source is train followed by test.
  public static func trainTest(
    train: LabelledDataset, test: LabelledDataset, trainPerClass: Int?,
    queryPerClass: Int, databaseLimit: Int? = nil, seed: UInt64,
    name: String
  ) throws -> Split {
    let source = try train.concatenated(with: test, name: "\(train.name) + \(test.name)")
    var rng = RandomGenerator(seed: seed)
    let queryIndices = try sample(test, perClass: queryPerClass, excluding: [], using: &rng, op: "\(name) (query)")
      .map { $0 + train.count }
    let trainIndices =
      try trainPerClass.map { try sample(train, perClass: $0, excluding: [], using: &rng, op: "\(name) (train)") }
      ?? Array(0..<train.count)
    let queries = Set(queryIndices)
    let rest = (0..<source.count).filter { !queries.contains($0) }
    let database = try limitDatabase(rest, keeping: trainIndices, limit: databaseLimit, using: &rng)
    return try Split(
      name: "\(name) (seed \(seed))", source: source, trainIndices: trainIndices,
      queryIndices: queryIndices, databaseIndices: database)
  }

  /// FM-5k (PAPER.md, Evaluation): 1,000 queries (100 per class) from the 10,000 Fashion-MNIST
  /// test images; the database is the other 69,000 images; 5,000 training images (500 per class)
  /// from the 60,000 training images, which are also in the database.
  public static func fashionMNIST5k(train: LabelledDataset, test: LabelledDataset, seed: UInt64) throws -> Split {
    try trainTest(train: train, test: test, trainPerClass: 500, queryPerClass: 100, seed: seed, name: "FM-5k")
  }

  /// FM-5k's validation protocol, for choosing settings without touching the test images: FM-5k's
  /// 5,000 training images (the same draw), 1,000 queries (100 per class) drawn from the other
  /// 55,000 training images, and a database of every training image that is not a query (59,000,
  /// the training images included, as in FM-5k). The source is `train` alone.
  public static func fashionMNIST5kValidation(train: LabelledDataset, test: LabelledDataset, seed: UInt64) throws
    -> Split
  {
    let reference = try fashionMNIST5k(train: train, test: test, seed: seed)
    var rng = RandomGenerator(seed: seed ^ 0x7A11_DA7E)
    let queryIndices = try sample(
      train, perClass: 100, excluding: Set(reference.trainIndices), using: &rng,
      op: "FM-5k-val (query)")
    let queries = Set(queryIndices)
    return try Split(
      name: "FM-5k-val (seed \(seed))", source: train, trainIndices: reference.trainIndices,
      queryIndices: queryIndices, databaseIndices: (0..<train.count).filter { !queries.contains($0) })
  }

  /// FM-full: the queries and database of FM-5k, training on all 60,000 training images.
  public static func fashionMNISTFull(train: LabelledDataset, test: LabelledDataset, seed: UInt64) throws -> Split {
    try trainTest(train: train, test: test, trainPerClass: nil, queryPerClass: 100, seed: seed, name: "FM-full")
  }

  /// A small Fashion-MNIST protocol for tests and the tutorials' fast mode: the FM-5k recipe
  /// with fewer items per class and a database of `databaseSize` (the training items plus a
  /// seeded sample of the other non-query images).
  public static func fashionMNISTSmall(
    train: LabelledDataset, test: LabelledDataset, trainPerClass: Int = 50,
    queryPerClass: Int = 10, databaseSize: Int = 2000,
    seed: UInt64
  ) throws -> Split {
    try trainTest(
      train: train, test: test, trainPerClass: trainPerClass, queryPerClass: queryPerClass,
      databaseLimit: databaseSize, seed: seed, name: "FM-small")
  }

  /// FM-5k from the files in `directory` (see `fashionMNIST5k(train:test:seed:)`).
  public static func fashionMNIST5k(seed: UInt64, directory: String = FashionMNIST.defaultDirectory) throws -> Split {
    let (train, test) = try FashionMNIST.loadAll(directory: directory)
    return try fashionMNIST5k(train: train, test: test, seed: seed)
  }

  /// FM-full from the files in `directory`.
  public static func fashionMNISTFull(seed: UInt64, directory: String = FashionMNIST.defaultDirectory) throws -> Split {
    let (train, test) = try FashionMNIST.loadAll(directory: directory)
    return try fashionMNISTFull(train: train, test: test, seed: seed)
  }

  /// A split given by three files of integer indices into `source`, `.npy` or text (see
  /// `IndexFile`; as `Split.save` writes them, or as published with a benchmark). Indices are checked against the source;
  /// the parts are taken as given (not required to be disjoint).
  public static func fromIndexFiles(
    _ source: LabelledDataset, train: String, query: String, database: String,
    name: String = "split from index files"
  ) throws -> Split {
    func indices(_ path: String) throws -> [Int] {
      try IndexFile.read(path, count: source.count, sourceName: source.name)
    }
    return try Split(
      name: name, source: source, trainIndices: indices(train), queryIndices: indices(query),
      databaseIndices: indices(database))
  }

  /// The split `dpq experiment --data` makes of a user's dataset, on the FM-5k pattern: single
  /// labels draw `query` and `train` items per class (nil: a tenth of the smallest class, 1 to
  /// 100, and half of it, at most 500), training items staying in the database; multi-label data
  /// draws them uniformly (nil: 5 % and 50 % of the items, at most 2,000 and 10,000). The database
  /// is every item that is not a query.
  public static func retrieval(
    _ dataset: LabelledDataset, train: Int? = nil, query: Int? = nil, seed: UInt64,
    databaseLimit: Int? = nil
  ) throws -> Split {
    if dataset.multiHot != nil {
      let n = dataset.count
      let q = query ?? min(2_000, max(1, n / 20))
      let t = train ?? min(10_000, max(1, n / 2))
      return try random(
        dataset, train: t, query: q, seed: seed, trainInDatabase: true, databaseLimit: databaseLimit,
        name: "\(dataset.name): random \(t) training items, \(q) queries (seed \(seed))")
    }
    let smallest = dataset.classCounts().filter { $0 > 0 }.min() ?? 0
    let q = query ?? min(100, max(1, smallest / 10))
    let t = train ?? min(500, max(1, smallest / 2))
    guard q + t <= smallest || query != nil || train != nil else {
      throw DataError.invalidArgument(
        op: "split",
        reason: "\(dataset.name)'s smallest class has \(smallest) items, too few for a query and a training item each")
    }
    return try perClass(
      dataset, train: t, query: q, seed: seed, trainInDatabase: true, databaseLimit: databaseLimit,
      name: "\(dataset.name): \(t) training items and \(q) queries per class (seed \(seed))")
  }

  // MARK: sampling

  /// `perClass` items of every class (by `labels`), not in `excluded`, sorted ascending. Classes
  /// are visited in order and each draws from its members in ascending order, so the result
  /// depends only on the labels and the generator's state.
  static func sample(
    _ dataset: LabelledDataset, perClass: Int, excluding excluded: Set<Int>,
    using rng: inout RandomGenerator, op: String
  ) throws -> [Int] {
    guard perClass >= 0 else {
      throw DataError.invalidArgument(op: op, reason: "items per class must be non-negative, got \(perClass)")
    }
    // checked before `perClass * classCount` is reserved: that product can overflow or ask for terabytes
    guard perClass <= dataset.count else {
      throw DataError.invalidArgument(
        op: op, reason: "\(perClass) items per class asked for, but the dataset has only \(dataset.count) items")
    }
    var members = [[Int]](repeating: [], count: dataset.classCount)
    for (i, l) in dataset.labels.enumerated() where l >= 0 && !excluded.contains(i) { members[l].append(i) }
    var chosen: [Int] = []
    chosen.reserveCapacity(perClass * dataset.classCount)
    for (c, m) in members.enumerated() {
      guard m.count >= perClass else {
        throw DataError.invalidArgument(
          op: op,
          reason:
            "class \(c) ('\(dataset.classNames[c])') has \(m.count) available items, fewer than the \(perClass) asked for"
        )
      }
      chosen += try rng.choice(m.count, count: perClass).map { m[$0] }
    }
    return chosen.sorted()
  }

  /// The database: all of `candidates`, or, with a limit, `keeping` (which must be among the
  /// candidates) plus a seeded sample of the others up to `limit` items. Sorted.
  static func limitDatabase(
    _ candidates: [Int], keeping: [Int], limit: Int?,
    using rng: inout RandomGenerator
  ) throws -> [Int] {
    guard let limit, limit < candidates.count else { return candidates }
    guard limit >= keeping.count else {
      throw DataError.invalidArgument(
        op: "database limit",
        reason: "a database of \(limit) items cannot hold the \(keeping.count) training items that belong to it")
    }
    let kept = Set(keeping)
    let others = candidates.filter { !kept.contains($0) }
    let extra = try rng.choice(others.count, count: limit - keeping.count).map { others[$0] }
    return (keeping + extra).sorted()
  }
}
