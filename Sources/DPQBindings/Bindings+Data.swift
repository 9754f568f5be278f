import DPQData
import DPQLanguage
import DPQTensor
import Foundation

/// The data family: loaders, file formats, datasets, batches and retrieval splits.
enum DataBindings {
  static let family = "data"
  static let datasetType = ValueType.host(DatasetObject.scriptType)

  static func register(into r: inout BuiltinRegistry) {
    registerConstructors(into: &r)
    registerFiles(into: &r)
    registerDatasetMembers(into: &r)
    registerSplits(into: &r)
  }

  static func dataset(_ d: LabelledDataset) -> Value { .host(DatasetObject(d)) }

  static func part(_ a: Arguments) throws -> DatasetPart? {
    let p = try a.choice("part", ["train", "test", "all"])
    return p == "all" ? nil : DatasetPart(rawValue: p)
  }

  /// `train + test` for `part: "all"`.
  static func load(
    _ part: DatasetPart?, _ one: (DatasetPart) throws -> LabelledDataset,
    all: () throws -> (train: LabelledDataset, test: LabelledDataset)
  ) throws -> LabelledDataset {
    if let part { return try one(part) }
    let (train, test) = try all()
    return try train.concatenated(with: test, name: train.name.replacingOccurrences(of: " train", with: ""))
  }

  static func registerConstructors(into r: inout BuiltinRegistry) {
    r.add(
      "dataset", family: family,
      [
        Parameter("features", .tensorLike), Parameter("labels"),
        .keyword("classes", .optional(.list), default: .nilValue),
        .keyword("name", .string, default: .string("data")),
      ],
      returns: "dataset", summary: "A labelled dataset from features [n, ...] and n integer labels.",
      doc:
        "`classes:` names the classes (labels index it); without it they are named \"0\", \"1\", ... A [n, L] tensor of 0/1 as labels makes a multi-label dataset.",
      example: "d = dataset(randn([6, 2], seed: 1), [0, 1, 2, 0, 1, 2], classes: [\"a\", \"b\", \"c\"])\nd.count\nd[1]"
    ) { a in
      let features = try a.tensor("features")
      let names: [String]? = a.has("classes") ? try a.list("classes").items.map { a.interpreter.text(of: $0) } : nil
      if case .tensor(let t) = a["labels"], t.rank == 2 {
        let first = try (0..<t.shape[0]).map { i -> Int in
          try t.slice(axis: 0, range: i..<(i + 1)).scalars.firstIndex { $0 != 0 } ?? -1
        }
        return dataset(
          try LabelledDataset(name: a.string("name"), features: features, labels: first, multiHot: t, classNames: names)
        )
      }
      return dataset(
        try LabelledDataset(name: a.string("name"), features: features, labels: a.integers("labels"), classNames: names)
      )
    }
    r.add(
      "blobs", family: family,
      [
        .keyword("n", .integer, default: .number(200)), .keyword("classes", .integer, default: .number(4)),
        .keyword("dim", .integer, default: .number(8)), .keyword("spread", .number, default: .number(0.5)),
        .keyword("seed", .integer, default: .number(0)),
      ],
      returns: "dataset",
      summary: "Synthetic data: n points [n, dim] around one random centre per class, for quick experiments.",
      doc:
        "Centres are standard normal scaled by 2; each point is its centre plus normal noise of std `spread`. Item i has class i % classes.",
      example: "d = blobs(n: 40, classes: 2, dim: 3, seed: 1)\nd\nd.class_counts"
    ) { a in
      dataset(
        try LabelledDataset.blobs(
          n: a.positive("n"), classes: a.positive("classes"), dimension: a.positive("dim"),
          spread: a.float("spread"), seed: a.seed()))
    }
    let dirParameter = Parameter.keyword("dir", .optional(.string), default: .nilValue)
    let partParameter = Parameter.keyword("part", .string, default: .string("all"))
    r.add(
      "fashion_mnist", family: family, [partParameter, dirParameter], returns: "dataset",
      summary: "Fashion-MNIST: 28x28 grey images [n, 1, 28, 28] in [0, 1] of 10 clothing classes.",
      doc:
        "`part:` \"train\" (60,000), \"test\" (10,000) or \"all\" (train then test). Files come from `dir:` or /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).",
      example: "test = fashion_mnist(part: \"test\")\ntest.shape\ntest.classes[0]"
    ) { a in
      let dir = a.has("dir") ? try a.string("dir") : FashionMNIST.defaultDirectory
      return dataset(
        try load(
          part(a), { try FashionMNIST.load($0, directory: dir) }, all: { try FashionMNIST.loadAll(directory: dir) }))
    }
    r.add(
      "mnist", family: family, [partParameter, dirParameter], returns: "dataset",
      summary: "MNIST handwritten digits [n, 1, 28, 28] in [0, 1] (the same file layout as Fashion-MNIST).",
      doc: "Files come from `dir:` or /usr/share/datasets/mnist.",
      example: "# digits = mnist(part: \"test\", dir: \"data/mnist\")\nhelp(\"mnist\")"
    ) { a in
      let dir = a.has("dir") ? try a.string("dir") : MNIST.defaultDirectory
      return dataset(
        try load(part(a), { try MNIST.load($0, directory: dir) }, all: { try MNIST.loadAll(directory: dir) }))
    }
    r.add(
      "cifar10", family: family, [Parameter("dir", .string), partParameter], returns: "dataset",
      summary: "CIFAR-10 from its binary release: [n, 3, 32, 32] images in [0, 1], 10 classes.",
      doc: "`dir` is `cifar-10-batches-bin` or the directory holding it.",
      example: "# cifar = cifar10(\"data/cifar-10-batches-bin\", part: \"test\")\nhelp(\"cifar10\")"
    ) { a in
      let dir = try a.string("dir")
      return dataset(
        try load(part(a), { try CIFAR10.load($0, directory: dir) }, all: { try CIFAR10.loadAll(directory: dir) }))
    }
    r.add(
      "augment", family: family,
      [
        Parameter("images", .tensorLike), .keyword("shift", .integer, default: .number(2)),
        .keyword("flip", .bool, default: .bool(false)), .keyword("seed", .integer, default: .number(0)),
      ],
      returns: "tensor",
      summary: "Images [n, C, H, W] each shifted by up to `shift` pixels (zero fill), optionally mirrored.",
      example: "augment(ones([2, 1, 4, 4]), shift: 1, seed: 3).sum()"
    ) { a in
      let augmenter = try ImageAugmenter(maxShift: a.integer("shift"), horizontalFlip: a.bool("flip"), seed: a.seed())
      return .tensor(try augmenter(a.tensor("images")))
    }
  }

  static func registerFiles(into r: inout BuiltinRegistry) {
    r.add(
      "load_npy", family: family, [Parameter("path", .string)], returns: "tensor",
      summary: "Reads a NumPy .npy file (float or integer, plain or .gz) as a Float32 tensor.",
      example: "save_npy(arange(6).reshape([2, 3]), \"/tmp/dpq-example.npy\")\nload_npy(\"/tmp/dpq-example.npy\")"
    ) { a in
      .tensor(try NPY.readTensor(a.string("path")))
    }
    r.add(
      "save_npy", family: family, [Parameter("tensor", .tensorLike), Parameter("path", .string)], returns: "nil",
      summary: "Writes a tensor as a float32 .npy file (atomically) that NumPy reads.",
      example: "save_npy(eye(2), \"/tmp/dpq-eye.npy\")"
    ) { a in
      try NPY.write(a.tensor("tensor"), to: a.string("path"))
      return .nilValue
    }
    let limit = Parameter.keyword("limit", .optional(.integer), default: .nilValue)
    r.add(
      "load_fvecs", family: family, [Parameter("path", .string), limit], returns: "tensor",
      summary: "Reads .fvecs vectors (SIFT1M, GIST1M) as [n, d]; `limit:` reads only the first ones.",
      example:
        "save_fvecs(randn([3, 4], seed: 1), \"/tmp/dpq-example.fvecs\")\nload_fvecs(\"/tmp/dpq-example.fvecs\", limit: 2).shape"
    ) { a in
      .tensor(try Vecs.readFvecs(a.string("path"), limit: a.optionalInteger("limit")))
    }
    r.add(
      "load_bvecs", family: family, [Parameter("path", .string), limit], returns: "tensor",
      summary: "Reads .bvecs byte vectors (SIFT1B) as [n, d] values in 0...255.",
      example: "# base = load_bvecs(\"bigann_base.bvecs\", limit: 100000)\nhelp(\"load_bvecs\")"
    ) { a in
      .tensor(try Vecs.readBvecs(a.string("path"), limit: a.optionalInteger("limit")))
    }
    r.add(
      "load_ivecs", family: family, [Parameter("path", .string), limit], returns: "tensor",
      summary: "Reads .ivecs integer vectors (ground-truth neighbour lists) as an [n, d] tensor.",
      example: "# truth = load_ivecs(\"sift_groundtruth.ivecs\")\nhelp(\"load_ivecs\")"
    ) { a in
      let array = try Vecs.readIvecs(a.string("path"), limit: a.optionalInteger("limit"))
      return .tensor(try Tensor(shape: array.shape, scalars: array.values.map(Float.init)))
    }
    r.add(
      "save_fvecs", family: family, [Parameter("tensor", .tensorLike), Parameter("path", .string)], returns: "nil",
      summary: "Writes an [n, d] tensor as .fvecs (atomically).",
      example: "save_fvecs(ones([2, 3]), \"/tmp/dpq-ones.fvecs\")"
    ) { a in
      try Vecs.writeFvecs(a.tensor("tensor"), to: a.string("path"))
      return .nilValue
    }
    r.add(
      "load_csv", family: family,
      [
        Parameter("path", .string), .keyword("label", .oneOf([.string, .integer]), default: .number(-1)),
        .keyword("header", .optional(.bool), default: .nilValue), .keyword("separator", .string, default: .string(",")),
        .keyword("classes", .optional(.list), default: .nilValue),
        .keyword("shape", .optional(.shape), default: .nilValue),
      ],
      returns: "dataset", summary: "Reads a CSV table of numeric features with one label column as a dataset [n, d].",
      doc:
        "`label:` names the label column (needs a header) or gives its position (-1: the last). `header:` nil guesses whether the first row names the columns. Text labels become classes named by them. `shape:` views each row as an item of that shape, e.g. `shape: [1, 28, 28]` for Kaggle's Fashion-MNIST CSV (784 pixel columns; divide by 255 with `d.with_features(d.features / 255)`).",
      example:
        "# iris = load_csv(\"iris.csv\", label: \"species\")\n# pixels = load_csv(\"fashion-mnist_test.csv\", label: \"label\", shape: [1, 28, 28])\nhelp(\"load_csv\")"
    ) { a in
      let column: CSV.LabelColumn
      if case .string(let s) = a["label"] { column = .name(s) } else { column = .index(try a.integer("label")) }
      let sep = try a.string("separator")
      guard sep.count == 1, let c = sep.first else {
        throw a.badArgument("separator", "one character expected, got \"\(sep)\"")
      }
      let names: [String]? = a.has("classes") ? try a.list("classes").items.map { a.interpreter.text(of: $0) } : nil
      let header: Bool? = a.has("header") ? try a.bool("header") : nil
      let table = try CSV.load(
        a.string("path"), labelColumn: column, hasHeader: header, separator: c, classNames: names)
      return dataset(a.has("shape") ? try table.reshaped(a.shape("shape")) : table)
    }
    r.add(
      "load_multilabel", family: family,
      [
        Parameter("features", .string), Parameter("labels", .string),
        .keyword("classes", .optional(.string), default: .nilValue),
      ],
      returns: "dataset",
      summary: "Multi-label data (NUS-WIDE style): features from .npy/.fvecs/.bvecs and a file of 0/1 label rows.",
      doc: "`classes:` is a file with one class name per line. Two items are relevant when they share any class.",
      example:
        "# nus = load_multilabel(\"nus_features.npy\", \"nus_labels.txt\", classes: \"concepts.txt\")\nhelp(\"load_multilabel\")"
    ) { a in
      let classes: String? = a.has("classes") ? try a.string("classes") : nil
      return dataset(
        try MultiLabelDataset.load(features: a.string("features"), labels: a.string("labels"), classNames: classes))
    }
  }

  static func registerDatasetMembers(into r: inout BuiltinRegistry) {
    let example = "d = blobs(n: 12, classes: 3, dim: 2, seed: 1)\n"
    r.property(
      "count", of: DatasetObject.self, family: family, returns: "number", summary: "The number of items.",
      example: example + "d.count"
    ) { .int($0.data.count) }
    r.method(
      "len", of: DatasetObject.self, family: family, returns: "number", summary: "The number of items, for len().",
      example: example + "len(d)"
    ) { d, _ in .int(d.data.count) }
    r.property(
      "shape", of: DatasetObject.self, family: family, returns: "list",
      summary: "The shape of the features, items first.",
      example: example + "d.shape"
    ) { .ints($0.data.features.shape) }
    r.property(
      "item_shape", of: DatasetObject.self, family: family, returns: "list", summary: "The shape of one item.",
      example: example + "d.item_shape"
    ) { .ints($0.data.itemShape) }
    r.property(
      "classes", of: DatasetObject.self, family: family, returns: "list",
      summary: "The class names; labels index them.",
      example: example + "d.classes"
    ) { .strings($0.data.classNames) }
    r.property(
      "class_counts", of: DatasetObject.self, family: family, returns: "list", summary: "Items per class.",
      example: example + "d.class_counts"
    ) { .ints($0.data.classCounts()) }
    r.property(
      "features", of: DatasetObject.self, family: family, returns: "tensor",
      summary: "The items as one tensor [n, ...].",
      example: example + "d.features.shape"
    ) { .tensor($0.data.features) }
    r.property(
      "labels", of: DatasetObject.self, family: family, returns: "list",
      summary: "One class per item (for multi-label data: the first class, or -1).",
      example: example + "d.labels[0:4]"
    ) { .ints($0.data.labels) }
    r.property(
      "multi_hot", of: DatasetObject.self, family: family, returns: "tensor or nil",
      summary: "The [n, L] 0/1 labels of multi-label data, nil for single-label data.",
      example: example + "d.multi_hot"
    ) { .optional($0.data.multiHot) }
    r.property(
      "name", of: DatasetObject.self, family: family, returns: "string", summary: "The dataset's name.",
      example: example + "d.name"
    ) { .string($0.data.name) }
    r.method(
      "subset", of: DatasetObject.self, family: family, [Parameter("ids")], returns: "dataset",
      summary: "The items at the given positions, in that order (d[ids] does the same).",
      example: example + "d.subset([0, 5, 5]).labels"
    ) { d, a in
      dataset(try d.data.subset(a.integers("ids")))
    }
    r.method(
      "batches", of: DatasetObject.self, family: family,
      [
        Parameter("size", .integer, default: .number(128)), .keyword("shuffle", .bool, default: .bool(true)),
        .keyword("seed", .integer, default: .number(0)), .keyword("epoch", .integer, default: .number(0)),
        .keyword("drop_last", .bool, default: .bool(false)),
      ],
      returns: "batches", summary: "Mini-batches for a for loop: records {features, labels, indices}.",
      doc:
        "Shuffled by seed and epoch unless `shuffle: false`; each further pass over the same batches object reshuffles with the next epoch.",
      example: example + "for b in d.batches(5, seed: 1) { print(b.features.shape, b.labels) }"
    ) { d, a in
      let size = try a.positive("size")
      return .host(
        BatchesObject(
          d.data, size: size, shuffle: try a.bool("shuffle"), seed: try a.seed(),
          epoch: try a.integer("epoch"), dropLast: try a.bool("drop_last")))
    }
    r.method(
      "len", of: BatchesObject.self, family: family, returns: "number",
      summary: "The number of batches in one pass, for len().",
      example: "len(blobs(n: 10).batches(4))"
    ) { b, _ in .int(b.count) }
    r.method(
      "statistics", of: DatasetObject.self, family: family, returns: "record",
      summary: "Mean and standard deviation of each channel (axis 1) over all items: {mean, std}.",
      example: example + "d.statistics()"
    ) { d, _ in
      let (mean, std) = d.data.channelStatistics()
      return .fields([("mean", .floats(mean)), ("std", .floats(std))])
    }
    r.method(
      "normalise", of: DatasetObject.self, family: family,
      [.keyword("mean", .any, default: .nilValue), .keyword("std", .any, default: .nilValue)],
      returns: "dataset",
      summary: "(x - mean) / std per channel; without arguments, with the dataset's own statistics.",
      doc:
        "Normalise query and database parts with the training part's numbers: `split.normalise()` does that for a split.",
      example: example + "d.normalise().statistics().mean"
    ) { d, a in
      let own = d.data.channelStatistics()
      let mean = a.has("mean") ? try a.doubles("mean").map(Float.init) : own.mean
      let std = a.has("std") ? try a.doubles("std").map(Float.init) : own.std.map { $0 > 0 ? $0 : 1 }
      return dataset(try d.data.normalised(mean: mean, std: std))
    }
    r.method(
      "concat", of: DatasetObject.self, family: family, [Parameter("other", datasetType)], returns: "dataset",
      summary: "This dataset followed by another of the same item shape and classes.",
      example: example + "d.concat(d).count"
    ) { d, a in
      dataset(try d.data.concatenated(with: a.host("other", as: DatasetObject.self).data))
    }
    r.method(
      "with_features", of: DatasetObject.self, family: family, [Parameter("features", .tensorLike)], returns: "dataset",
      summary: "The same labels with new features (one row per item), e.g. a network's embeddings.",
      example: example + "d.with_features(zeros([12, 5])).shape"
    ) { d, a in
      dataset(try d.data.withFeatures(a.tensor("features")))
    }
    r.method(
      "reshape", of: DatasetObject.self, family: family, [Parameter("shape", .shape)], returns: "dataset",
      summary: "The same items, each viewed as the given item shape (one size may be -1).",
      doc:
        "Only the items' shape changes, not their number: `d.reshape([1, 28, 28])` turns rows of 784 values into images.",
      example:
        "d = dataset(arange(8).reshape([2, 4]), [0, 1])\nd.reshape([1, 2, 2]).shape\nd.reshape([-1, 2]).item_shape"
    ) { d, a in
      dataset(try d.data.reshaped(a.shape("shape")))
    }
    r.method(
      "split", of: DatasetObject.self, family: family,
      [
        .keyword("train", .integer, default: .number(0)), .keyword("query", .integer, default: .number(0)),
        .keyword("per_class", .bool, default: .bool(true)), .keyword("seed", .integer, default: .number(0)),
        .keyword("train_in_database", .bool, default: .bool(false)),
        .keyword("database", .optional(.integer), default: .nilValue),
      ],
      returns: "split", summary: "Splits into train, query and database parts for a retrieval experiment.",
      doc:
        "With `per_class: true`, `query` and `train` count items per class (the CIFAR-10 protocol), else in total (random sampling). The database is every item that is not a query, minus the training items unless `train_in_database`; `database:` keeps a seeded sample of that size.",
      example: example + "s = d.split(train: 2, query: 1, seed: 7)\ns.train.count\ns.query.count\ns.database.count"
    ) { d, a in
      let (train, query, seed) = (try a.integer("train"), try a.integer("query"), try a.seed())
      let (inDatabase, limit) = (try a.bool("train_in_database"), try a.optionalInteger("database"))
      let split =
        try a.bool("per_class")
        ? try Splits.perClass(
          d.data, train: train, query: query, seed: seed, trainInDatabase: inDatabase, databaseLimit: limit)
        : try Splits.random(
          d.data, train: train, query: query, seed: seed, trainInDatabase: inDatabase, databaseLimit: limit)
      return .host(SplitObject(split))
    }
  }

  static func registerSplits(into r: inout BuiltinRegistry) {
    let dirParameter = Parameter.keyword("dir", .optional(.string), default: .nilValue)
    func directory(_ a: Arguments) throws -> String {
      a.has("dir") ? try a.string("dir") : FashionMNIST.defaultDirectory
    }
    r.add(
      "fm5k", family: family, [.keyword("seed", .integer, default: .number(7)), dirParameter], returns: "split",
      summary: "The FM-5k protocol: 5,000 Fashion-MNIST training images, 1,000 queries, a 69,000-image database.",
      doc:
        "Queries are 100 per class from the test images; training images 500 per class from the training images, which stay in the database.",
      example: "# split = fm5k(seed: 7)   (loads all 70,000 images)\nhelp(\"fm5k\")"
    ) { a in
      .host(SplitObject(try Splits.fashionMNIST5k(seed: a.seed(), directory: directory(a))))
    }
    r.add(
      "fm_full", family: family, [.keyword("seed", .integer, default: .number(7)), dirParameter], returns: "split",
      summary: "FM-full: the queries and database of FM-5k, training on all 60,000 training images.",
      example: "# split = fm_full(seed: 7)\nhelp(\"fm_full\")"
    ) { a in
      .host(SplitObject(try Splits.fashionMNISTFull(seed: a.seed(), directory: directory(a))))
    }
    r.add(
      "fm_small", family: family,
      [
        .keyword("train_per_class", .integer, default: .number(50)),
        .keyword("query_per_class", .integer, default: .number(10)),
        .keyword("database", .integer, default: .number(2000)), .keyword("seed", .integer, default: .number(7)),
        dirParameter,
      ],
      returns: "split", summary: "A small Fashion-MNIST protocol for quick runs: the FM-5k recipe with fewer items.",
      doc:
        "Training items per class from the training images, queries per class from the test images, and a database of `database` items (the training items plus a seeded sample of the others).",
      example: "s = fm_small(train_per_class: 5, query_per_class: 2, database: 100)\ns"
    ) { a in
      let (train, test) = try FashionMNIST.loadAll(directory: directory(a))
      return .host(
        SplitObject(
          try Splits.fashionMNISTSmall(
            train: train, test: test, trainPerClass: a.integer("train_per_class"),
            queryPerClass: a.integer("query_per_class"),
            databaseSize: a.integer("database"), seed: a.seed())))
    }
    let indexFile = { (name: String) in Parameter.keyword(name, .optional(.string), default: .nilValue) }
    r.add(
      "load_split", family: family,
      [
        Parameter("source", datasetType), Parameter("dir", .optional(.string), default: .nilValue),
        indexFile("train"), indexFile("query"), indexFile("database"),
      ], returns: "split",
      summary: "A split of source from three files of item positions: train, query and database.",
      doc:
        "`dir` alone reads train.npy, query.npy and database.npy there (as split.save writes them); when it holds split.save's manifest (split.json) the files must match it. `train:`, `query:` and `database:` name any three files instead (relative to `dir` when it is given): 1-D integer .npy files, or text with one position per line (or separated by spaces or commas).",
      example:
        "d = blobs(n: 20, classes: 2)\nd.split(train: 2, query: 2).save(\"/tmp/dpq-split\")\nload_split(d, \"/tmp/dpq-split\").query.count\nload_split(d, train: \"/tmp/dpq-split/train.npy\", query: \"/tmp/dpq-split/query.npy\", database: \"/tmp/dpq-split/database.npy\").train.count"
    ) { a in
      let dir: String? = a.has("dir") ? try a.string("dir") : nil
      let source = try a.host("source", as: DatasetObject.self).data
      if let dir, !a.has("train") && !a.has("query") && !a.has("database") {
        return .host(SplitObject(try Splits.fromDirectory(source, directory: dir)))
      }
      func path(_ part: String) throws -> String {
        if a.has(part) {
          let p = try a.string(part)
          return dir.map { p.hasPrefix("/") ? p : $0 + "/" + p } ?? p
        }
        guard let dir else { throw a.badArgument(part, "give dir or all three of train:, query: and database:") }
        return dir + "/" + part + ".npy"
      }
      let (train, query, database) = (try path("train"), try path("query"), try path("database"))
      return .host(
        SplitObject(
          try Splits.fromIndexFiles(
            source, train: train,
            query: query, database: database,
            name: "split from \(dir ?? train)")))
    }
    let example = "s = blobs(n: 30, classes: 3, seed: 1).split(train: 2, query: 2, seed: 7)\n"
    for (name, summary) in [
      ("train", "The training items (a dataset)."), ("query", "The query items (a dataset)."),
      ("database", "The database items the queries search (a dataset)."),
    ] {
      r.property(
        name, of: SplitObject.self, family: family, returns: "dataset", summary: summary,
        example: example + "s.\(name).count"
      ) { .host($0.part(name)) }
    }
    r.property(
      "train_ids", of: SplitObject.self, family: family, returns: "list",
      summary: "Positions of the training items in the source.",
      example: example + "s.train_ids"
    ) { .ints($0.split.trainIndices) }
    r.property(
      "query_ids", of: SplitObject.self, family: family, returns: "list",
      summary: "Positions of the queries in the source.",
      example: example + "s.query_ids"
    ) { .ints($0.split.queryIndices) }
    r.property(
      "database_ids", of: SplitObject.self, family: family, returns: "list",
      summary: "Positions of the database items in the source.",
      example: example + "len(s.database_ids)"
    ) { .ints($0.split.databaseIndices) }
    r.property(
      "source", of: SplitObject.self, family: family, returns: "dataset",
      summary: "The dataset the positions refer to.",
      example: example + "s.source.count"
    ) { .host(DatasetObject($0.split.source)) }
    r.property(
      "name", of: SplitObject.self, family: family, returns: "string", summary: "The protocol's name.",
      example: example + "s.name"
    ) { .string($0.split.name) }
    r.method(
      "normalise", of: SplitObject.self, family: family, returns: "split",
      summary: "The split with every part normalised by the training part's per-channel mean and std.",
      example: example + "s.normalise().train.statistics().mean"
    ) { s, _ in
      let (mean, std) = s.split.train.channelStatistics()
      let source = try s.split.source.normalised(mean: mean, std: std.map { $0 > 0 ? $0 : 1 })
      return .host(
        SplitObject(
          try Split(
            name: s.split.name + " normalised", source: source, trainIndices: s.split.trainIndices,
            queryIndices: s.split.queryIndices, databaseIndices: s.split.databaseIndices)))
    }
    r.method(
      "save", of: SplitObject.self, family: family, [Parameter("dir", .string)], returns: "nil",
      summary: "Writes train.npy, query.npy and database.npy (int64 positions) to dir, for load_split or NumPy.",
      doc:
        "The directory is created if it does not exist. A manifest, split.json, records each file's size and CRC-32; load_split refuses files that do not match it, so a save that failed midway is not mistaken for a split.",
      example: example + "s.save(\"/tmp/dpq-split-example\")"
    ) { s, a in
      let dir = try a.string("dir")
      do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
      } catch {
        throw ScriptError.failure("cannot create the directory '\(dir)': \(error.localizedDescription)")
      }
      try s.split.save(directory: dir)
      return .nilValue
    }
  }
}
