import DPQData
import DPQLanguage
import DPQQuantization
import DPQRetrieval
import DPQTensor

/// The index family: building, filling, searching, saving and loading code indexes.
enum IndexBindings {
  static let family = "index"
  static let example = ModelBindings.exampleModel + "ix = m.index(d)\n"

  static func metric(_ a: Arguments, default fallback: IndexMetric) throws -> IndexMetric {
    guard a.has("metric") else { return fallback }
    return try a.choice("metric", ["ip", "l2"]) == "ip" ? .innerProduct : .squaredL2
  }

  /// An index over a model's or quantizer's codebooks holding `data` (codes or data to encode).
  static func make(_ encoder: IndexEncoder, _ a: Arguments, data: Value, metric: IndexMetric) throws -> Value {
    let layout: CodebookLayout
    switch encoder {
    case .model(let m): layout = .additive(codebooks: try m.stackedCodebooks().detached())
    case .quantizer(let q): layout = try q.layout
    }
    let object = IndexObject(try Index(layout: layout, metric: metric), encoder: encoder)
    try object.add(data, labels: a["labels"], a, "data")
    return .host(object)
  }

  static func register(into r: inout BuiltinRegistry) {
    let metricParameter = Parameter.keyword("metric", .optional(.string), default: .nilValue)
    let labelsParameter = Parameter.keyword("labels", .any, default: .nilValue)
    let asParameter = ModelBindings.inputKindParameter
    r.add(
      "index", family: family,
      [
        Parameter("source", .oneOf([ModelBindings.modelType, QuantizerBindings.quantizerType])), Parameter("data"),
        metricParameter, labelsParameter, asParameter,
      ],
      returns: "index",
      summary: "An index of a model's or quantizer's codes: data is codes, or vectors/inputs/a dataset to encode.",
      doc:
        "`metric:` \"ip\" (inner product, larger is better; the default for DPQ models, as in the released code) or \"l2\" (squared distance, smaller is better; the default for quantizers). A dataset's labels and items are kept for `evaluate` and `plot_retrieval`; `labels:` gives them for other data.",
      example: ModelBindings.exampleModel
        + "ix = index(m, d)\nix.count\nq = pq(d, subspaces: 2, codewords: 8)\nindex(q, q.encode(d), labels: d.labels)"
    ) { a in
      switch a["source"] {
      case .host(let m as ModelObject):
        return try make(.model(m.model), a, data: a["data"], metric: metric(a, default: .innerProduct))
      case .host(let q as QuantizerObject):
        return try make(.quantizer(q.quantizer), a, data: a["data"], metric: metric(a, default: .squaredL2))
      default: throw a.badArgument("source", "model or quantizer expected, got \(a["source"].typeName)")
      }
    }
    r.method(
      "index", of: ModelObject.self, family: family,
      [Parameter("data"), metricParameter, labelsParameter, asParameter], returns: "index",
      summary:
        "An index of the model's codes for data (a dataset, inputs, features or codes); metric \"ip\" by default.",
      example: ModelBindings.exampleModel + "m.index(d, metric: \"l2\")"
    ) { m, a in
      try make(.model(m.model), a, data: a["data"], metric: metric(a, default: .innerProduct))
    }
    r.method(
      "index", of: QuantizerObject.self, family: family, [Parameter("data"), metricParameter, labelsParameter],
      returns: "index",
      summary: "An index of the quantizer's codes for data (vectors, a dataset or codes); metric \"l2\" by default.",
      example: "d = blobs(n: 50, dim: 4, seed: 1)\npq(d, subspaces: 2, codewords: 8).index(d)"
    ) { q, a in
      try make(.quantizer(q.quantizer), a, data: a["data"], metric: metric(a, default: .squaredL2))
    }
    r.add(
      "load_index", family: family, [Parameter("path", .string)], returns: "index",
      summary: "Reads an index saved by ix.save (codebooks, codes, metric; labels and encoder are not stored).",
      example: example + "ix.save(\"/tmp/dpq-example.index\")\nload_index(\"/tmp/dpq-example.index\").count"
    ) { a in
      .host(IndexObject(try Index.load(from: a.string("path")), encoder: nil))
    }

    r.method(
      "add", of: IndexObject.self, family: family, [Parameter("data"), labelsParameter, asParameter], returns: "index",
      summary: "Appends items (codes, or data the index's encoder encodes); they get the next ids. Returns the index.",
      example: example + "ix.add(d[0:4])\nix.count"
    ) { ix, a in
      try ix.add(a["data"], labels: a["labels"], a, "data")
      return a.receiver ?? .nilValue
    }
    r.method(
      "search", of: IndexObject.self, family: family,
      [
        Parameter("queries"), .keyword("k", .integer, default: .number(10)),
        .keyword("blocks", .optional(.integer), default: .nilValue),
        asParameter,
      ],
      returns: "search_result",
      summary: "The k best items for each query using the first `blocks` codes (all by default).",
      doc:
        "Queries are vectors [nq, D] (or one [D]), or inputs or a dataset the index's model turns into features. Ties rank by database position.",
      example: example + "res = ix.search(d[0:2], k: 3)\nres.ids\nres[0].scores"
    ) { ix, a in
      let q = try ix.queries(a["queries"], a, "queries")
      let result = try ix.index.search(
        queries: q, k: a.positive("k"), blocks: a.optionalInteger("blocks"), shouldStop: a.shouldStop)
      try a.stopIfRequested(
        keeping: .host(SearchResultObject(result)),
        "search stopped by request after \(result.completedQueries) of \(q.shape[0]) queries; ans holds their results")
      return .host(SearchResultObject(result))
    }
    r.method(
      "scores", of: IndexObject.self, family: family,
      [Parameter("queries"), .keyword("blocks", .optional(.integer), default: .nilValue), asParameter],
      returns: "tensor", summary: "The score of every item for every query, [nq, n] in database order.",
      example: example + "ix.scores(d[0:2]).shape"
    ) { ix, a in
      .tensor(try ix.index.scores(queries: ix.queries(a["queries"], a, "queries"), blocks: a.optionalInteger("blocks")))
    }
    r.method(
      "reconstruct", of: IndexObject.self, family: family,
      [Parameter("ids"), .keyword("blocks", .optional(.integer), default: .nilValue)],
      returns: "tensor", summary: "Reconstructions [len(ids), D] of items from their first `blocks` codes.",
      example: example + "ix.reconstruct([0, 1], blocks: 1).shape"
    ) { ix, a in
      .tensor(try ix.index.reconstruct(items: a.integers("ids"), blocks: a.optionalInteger("blocks")))
    }
    r.method(
      "lookup_table", of: IndexObject.self, family: family,
      [Parameter("query"), .keyword("blocks", .optional(.integer), default: .nilValue), asParameter],
      returns: "tensor", summary: "The lookup tables [blocks, K] of one query: the values a search adds up per code.",
      example: example + "ix.lookup_table(d[0].features).shape"
    ) { ix, a in
      let q = try ix.queries(a["query"], a, "query")
      guard q.shape[0] == 1 else { throw a.badArgument("query", "one query expected, got \(q.shape[0])") }
      return .tensor(try ix.index.lookupTable(query: q, blocks: a.optionalInteger("blocks")))
    }
    r.method(
      "save", of: IndexObject.self, family: family, [Parameter("path", .string)], returns: "nil",
      summary: "Writes the index (codebooks, codes, metric) as safetensors, atomically.",
      example: example + "ix.save(\"/tmp/dpq-example.index\")"
    ) { ix, a in
      try ix.index.save(to: a.string("path"))
      return .nilValue
    }
    r.method(
      "len", of: IndexObject.self, family: family, returns: "number", summary: "The number of items, for len().",
      example: example + "len(ix)"
    ) { ix, _ in .int(ix.index.count) }
    r.property(
      "count", of: IndexObject.self, family: family, returns: "number", summary: "The number of items.",
      example: example + "ix.count"
    ) { .int($0.index.count) }
    r.property(
      "blocks", of: IndexObject.self, family: family, returns: "number", summary: "Codes per item (M).",
      example: example + "ix.blocks"
    ) { .int($0.index.blockCount) }
    r.property(
      "codewords", of: IndexObject.self, family: family, returns: "number", summary: "Codewords per block (K).",
      example: example + "ix.codewords"
    ) { .int($0.index.codewordCount) }
    r.property(
      "dimension", of: IndexObject.self, family: family, returns: "number", summary: "The vector dimension D.",
      example: example + "ix.dimension"
    ) { .int($0.index.dimension) }
    r.property(
      "metric", of: IndexObject.self, family: family, returns: "string", summary: "\"ip\" or \"l2\".",
      example: example + "ix.metric"
    ) { .string($0.metricName) }
    r.property(
      "codes", of: IndexObject.self, family: family, returns: "codes", summary: "The codes of every item, in id order.",
      example: example + "ix.codes[0]"
    ) { .host(CodesObject($0.index.codes)) }
    r.property(
      "labels", of: IndexObject.self, family: family, returns: "list or nil",
      summary: "The database labels when known (each item's label list for multi-label data).",
      example: example + "ix.labels[0:3]"
    ) { ix in
      guard let l = ix.labels else { return .nilValue }
      let lists = try (0..<l.count).map { try l.labels(of: $0) }
      if lists.allSatisfy({ $0.count == 1 }) { return .ints(lists.map { $0[0] }) }
      return .items(lists.map { .ints($0) })
    }
    r.property(
      "norms", of: IndexObject.self, family: family, returns: "tensor",
      summary: "Squared reconstruction norms [n, M]: entry (i, m-1) after m blocks.",
      example: example + "ix.norms.shape"
    ) {
      .tensor($0.index.reconstructionNorms)
    }

    r.property(
      "ids", of: SearchResultObject.self, family: family, returns: "list",
      summary: "The ranked item ids of each query (a list per query).",
      example: example + "ix.search(d[0:2], k: 2).ids"
    ) { try $0.ids() }
    r.property(
      "scores", of: SearchResultObject.self, family: family, returns: "tensor",
      summary: "The scores [nq, k], aligned with ids.",
      example: example + "ix.search(d[0:2], k: 2).scores"
    ) { .tensor($0.result.scoresTensor) }
    r.property(
      "k", of: SearchResultObject.self, family: family, returns: "number", summary: "Results per query.",
      example: example + "ix.search(d[0].features, k: 3).k"
    ) { .int($0.result.k) }
    r.property(
      "complete", of: SearchResultObject.self, family: family, returns: "bool",
      summary: "False when a stop request ended the search early (the rest hold id -1).",
      example: example + "ix.search(d[0].features, k: 3).complete"
    ) { .bool($0.result.isComplete) }
    r.method(
      "len", of: SearchResultObject.self, family: family, returns: "number",
      summary: "The number of queries, for len().",
      example: example + "len(ix.search(d[0:3]))"
    ) { s, _ in .int(s.result.queryCount) }
  }
}
