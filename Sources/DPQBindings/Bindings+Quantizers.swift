import DPQData
import DPQLanguage
import DPQQuantization
import DPQTensor

/// The quantizers family: k-means, PQ, OPQ and RQ trained on a tensor or a dataset's features.
enum QuantizerBindings {
  static let family = "quantizers"
  static let quantizerType = ValueType.host(QuantizerObject.scriptType)
  static let example = "x = randn([300, 8], seed: 1)\n"

  /// Vectors [n, d] from a tensor (a [d] vector is one row) or a dataset (items flattened).
  static func vectors(_ value: Value, _ a: Arguments, _ name: String) throws -> Tensor {
    let t: Tensor
    switch value {
    case .host(let h as DatasetObject): t = h.data.features
    default:
      do { t = try TensorConversion.tensor(from: value) } catch {
        throw a.badArgument(name, "tensor or dataset expected, got \(value.typeName)")
      }
    }
    switch t.rank {
    case 1: return try t.reshaped([1, t.count])
    case 2: return t
    case 0: throw a.badArgument(name, "vectors [n, d] expected, got a number")
    default: return try t.reshaped([t.shape[0], t.count / max(1, t.shape[0])])
    }
  }

  static func quantizer(_ a: Arguments, _ name: String = "quantizer") throws -> QuantizerObject {
    try a.host(name, as: QuantizerObject.self)
  }

  /// Trains `q` on `x` with the session's stop request.
  static func trained(_ q: some VectorQuantizer, _ x: Tensor, _ a: Arguments) throws -> Value {
    var q = q
    let report = try q.train(x, control: TrainingControl(shouldStop: a.shouldStop))
    try a.stopIfRequested(
      keeping: .host(QuantizerObject(q, report: report)),
      "\(q.name) training stopped by request; ans holds the quantizer as trained so far")
    return .host(QuantizerObject(q, report: report))
  }

  /// Rows encoded per chunk: large enough that the matrix products stay efficient.
  static let encodingChunk = 16_384

  /// The codes of x, chunk by chunk, so that a stop request (Ctrl-C) ends a long encoding after
  /// the current chunk (the script then stops; no partial codes are returned).
  static func encode(_ q: some VectorQuantizer, _ x: Tensor, _ a: Arguments) throws -> Codes {
    let n = x.shape[0]
    guard n > encodingChunk else { return try q.encode(x) }
    var values: [Int] = []
    values.reserveCapacity(n * q.blockCount)
    var start = 0
    while start < n {
      try a.stopIfRequested()
      let end = min(n, start + encodingChunk)
      values += try q.encode(x.rows(start..<end)).values
      start = end
    }
    return try Codes(count: n, blockCount: q.blockCount, codewordCount: q.codewordCount, values: values)
  }

  static func register(into r: inout BuiltinRegistry) {
    r.add(
      "kmeans", family: family,
      [
        Parameter("x"), .keyword("k", .integer, default: .number(8)),
        .keyword("iterations", .integer, default: .number(25)),
        .keyword("seed", .integer, default: .number(1234)),
        .keyword("max_points_per_centroid", .optional(.integer), default: .number(256)),
      ],
      returns: "record", summary: "k-means clustering (k-means++ seeding, Lloyd iterations) of the rows of x.",
      doc:
        "Returns {centroids [k, d], assignments (the nearest centroid of each row), objective (sum of squared distances), objectives (per iteration), converged}. Rows beyond k * max_points_per_centroid are subsampled for training (nil: use all).",
      example: example + "km = kmeans(x, k: 4, seed: 1)\nkm.centroids.shape\nlen(km.assignments)"
    ) { a in
      let x = try vectors(a["x"], a, "x")
      var km = KMeans(k: try a.positive("k"), iterations: try a.integer("iterations"), seed: try a.seed())
      km.maxPointsPerCentroid = try a.optionalInteger("max_points_per_centroid")
      let result = try km.fit(x, shouldStop: a.shouldStop)
      func value() throws -> Value {
        let assignments = try x.nearestRows(of: result.centroids).labels
        return .fields([
          ("centroids", .tensor(result.centroids)), ("assignments", .ints(assignments)),
          ("objective", result.objective.map { .number($0) } ?? .nilValue),
          ("objectives", .numbers(result.objectives)), ("converged", .bool(result.converged)),
          ("stopped", .bool(result.stopped)),
        ])
      }
      try a.stopIfRequested(
        keeping: try value(),
        "k-means stopped by request after \(result.objectives.count) iterations; ans holds the result so far")
      return try value()
    }
    let common: [Parameter] = [
      .keyword("codewords", .integer, default: .number(256)), .keyword("iterations", .integer, default: .number(25)),
      .keyword("seed", .integer, default: .number(1234)),
    ]
    r.add(
      "pq", family: family, [Parameter("x"), .keyword("subspaces", .integer, default: .number(4))] + common,
      returns: "quantizer",
      summary: "A product quantizer trained on x: D split into M subspaces, K codewords each (k-means).",
      doc: "`subspaces` (M) must divide the dimension. A code has M * log2(K) bits.",
      example: example + "q = pq(x, subspaces: 2, codewords: 16)\nq.distortion(x) < 1"
    ) { a in
      let x = try vectors(a["x"], a, "x")
      return try trained(
        try ProductQuantizer(
          dimension: x.shape[1], subspaceCount: a.positive("subspaces"),
          codewordCount: a.positive("codewords"), iterations: a.integer("iterations"),
          seed: a.seed()), x, a)
    }
    r.add(
      "opq", family: family,
      [
        Parameter("x"), .keyword("subspaces", .integer, default: .number(4)),
        .keyword("outer_iterations", .integer, default: .number(20)),
        .keyword("inner_iterations", .integer, default: .number(4)),
      ] + common,
      returns: "quantizer",
      summary: "An optimized product quantizer: PQ after a learned rotation (alternating Procrustes and k-means).",
      example: example + "q = opq(x, subspaces: 2, codewords: 16, outer_iterations: 3)\nq.rotation.shape"
    ) { a in
      let x = try vectors(a["x"], a, "x")
      return try trained(
        try OptimizedProductQuantizer(
          dimension: x.shape[1], subspaceCount: a.positive("subspaces"),
          codewordCount: a.positive("codewords"),
          outerIterations: a.integer("outer_iterations"),
          innerIterations: a.integer("inner_iterations"),
          iterations: a.integer("iterations"), seed: a.seed()), x, a)
    }
    r.add(
      "rq", family: family,
      [
        Parameter("x"), .keyword("blocks", .integer, default: .number(4)),
        .keyword("beam", .integer, default: .number(1)),
      ] + common,
      returns: "quantizer",
      summary: "A residual quantizer: M full-dimensional codebooks, each quantizing what the previous left.",
      doc: "`beam:` > 1 encodes with beam search. Like DPQ, the first m blocks are a shorter code of the same model.",
      example: example + "q = rq(x, blocks: 2, codewords: 16)\nq.codebooks.shape"
    ) { a in
      let x = try vectors(a["x"], a, "x")
      return try trained(
        try ResidualQuantizer(
          dimension: x.shape[1], blockCount: a.positive("blocks"), codewordCount: a.positive("codewords"),
          beamWidth: a.positive("beam"), iterations: a.integer("iterations"), seed: a.seed()), x, a)
    }
    r.add(
      "load_quantizer", family: family, [Parameter("path", .string)], returns: "quantizer",
      summary: "Reads a quantizer saved by q.save.",
      example: example
        + "pq(x, subspaces: 2, codewords: 8).save(\"/tmp/dpq-example-pq.safetensors\")\nload_quantizer(\"/tmp/dpq-example-pq.safetensors\")"
    ) { a in
      .host(QuantizerObject(try QuantizerFile.load(from: try a.string("path"))))
    }
    registerMembers(into: &r)
  }

  static func registerMembers(into r: inout BuiltinRegistry) {
    let ex = example + "q = pq(x, subspaces: 2, codewords: 16)\n"
    r.method(
      "encode", of: QuantizerObject.self, family: family, [Parameter("x")], returns: "codes",
      summary: "The codes (M per row) of vectors, a tensor [n, D] or a dataset.", example: ex + "q.encode(x[0:2])"
    ) { q, a in
      .host(CodesObject(try encode(q.quantizer, vectors(a["x"], a, "x"), a)))
    }
    r.method(
      "decode", of: QuantizerObject.self, family: family, [Parameter("codes", .host(CodesObject.scriptType))],
      returns: "tensor",
      summary: "Reconstructions [n, D] of codes.", example: ex + "q.decode(q.encode(x)).shape"
    ) { q, a in
      .tensor(try q.quantizer.decode(ModelBindings.codes(a["codes"], a, "codes")))
    }
    r.method(
      "reconstruct", of: QuantizerObject.self, family: family, [Parameter("x")], returns: "tensor",
      summary: "decode(encode(x)): the vectors as the quantizer sees them.", example: ex + "q.reconstruct(x[0:1]).shape"
    ) { q, a in
      .tensor(try q.quantizer.reconstruct(vectors(a["x"], a, "x")))
    }
    r.method(
      "distortion", of: QuantizerObject.self, family: family, [Parameter("x")], returns: "number",
      summary: "Relative distortion sum ||x - x_hat||^2 / sum ||x||^2 over the rows (0 is perfect).",
      example: ex + "q.distortion(x)"
    ) { q, a in
      .number(try q.quantizer.relativeDistortion(vectors(a["x"], a, "x")))
    }
    r.method(
      "squared_errors", of: QuantizerObject.self, family: family, [Parameter("x")], returns: "tensor",
      summary: "The squared reconstruction error of every row, [n].", example: ex + "q.squared_errors(x[0:3])"
    ) { q, a in
      .tensor(Tensor(try q.quantizer.squaredErrors(vectors(a["x"], a, "x"))))
    }
    r.property(
      "codebooks", of: QuantizerObject.self, family: family, returns: "tensor",
      summary: "The codebooks: [M, K, D/M] for PQ and OPQ, [M, K, D] for RQ.", example: ex + "q.codebooks.shape"
    ) { q in
      .optional(q.codebooks)
    }
    r.property(
      "rotation", of: QuantizerObject.self, family: family, returns: "tensor or nil",
      summary: "OPQ's learned orthogonal rotation [D, D] (nil for PQ and RQ).", example: ex + "q.rotation"
    ) { .optional($0.rotation) }
    r.property(
      "kind", of: QuantizerObject.self, family: family, returns: "string",
      summary: "\"PQ\", \"OPQ\", \"RQ\" or \"DPQ\".",
      example: ex + "q.kind"
    ) { .string($0.quantizer.name) }
    r.property(
      "dimension", of: QuantizerObject.self, family: family, returns: "number", summary: "The vector dimension D.",
      example: ex + "q.dimension"
    ) { .int($0.quantizer.dimension) }
    r.property(
      "blocks", of: QuantizerObject.self, family: family, returns: "number", summary: "Codes per vector (M).",
      example: ex + "q.blocks"
    ) { .int($0.quantizer.blockCount) }
    r.property(
      "codewords", of: QuantizerObject.self, family: family, returns: "number", summary: "Codewords per block (K).",
      example: ex + "q.codewords"
    ) { .int($0.quantizer.codewordCount) }
    r.property(
      "bits", of: QuantizerObject.self, family: family, returns: "number", summary: "Bits per code: M * ceil(log2 K).",
      example: ex + "q.bits"
    ) { .int($0.quantizer.codeLengthBits) }
    r.property(
      "history", of: QuantizerObject.self, family: family, returns: "list",
      summary: "The training steps: records {phase, iteration, objective}.", example: ex + "q.history[0]"
    ) { q in
      .items(
        q.report.steps.map {
          .fields([
            ("phase", .string($0.phase)), ("iteration", .int($0.iteration)), ("objective", .number($0.objective)),
          ])
        })
    }
    r.method(
      "save", of: QuantizerObject.self, family: family, [Parameter("path", .string)], returns: "nil",
      summary: "Writes the quantizer (configuration and tensors) as safetensors; load_quantizer reads it.",
      example: ex + "q.save(\"/tmp/dpq-example-q.safetensors\")"
    ) { q, a in
      try QuantizerFile.save(q.quantizer, to: a.string("path"))
      return .nilValue
    }
  }
}
