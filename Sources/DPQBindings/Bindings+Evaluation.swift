import DPQData
import DPQExperiment
import DPQLanguage
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// The evaluation family: mAP@R, P@N and precision-recall of an index, comparisons across
/// methods, metrics on hand-made rankings, and the reference experiment.
enum EvaluationBindings {
  static let family = "evaluation"
  static let example = ModelBindings.exampleModel + "ix = m.index(d)\n"

  /// Label sets of a dataset (multi-hot rows for multi-label data).
  static func labelSets(_ d: LabelledDataset) throws -> LabelSets {
    if let mh = d.multiHot { return try LabelSets(multiHot: mh) }
    return try LabelSets(labels: d.labels)
  }

  /// Label sets from a dataset, a list or tensor of integers, or a [n, L] 0/1 tensor.
  static func labelSets(_ value: Value, _ a: Arguments, _ name: String) throws -> LabelSets {
    switch value {
    case .host(let d as DatasetObject): return try labelSets(d.data)
    case .tensor(let t) where t.rank == 2: return try LabelSets(multiHot: t)
    case .list(let l) where l.items.first.map({ if case .list = $0 { return true } else { return false } }) ?? false:
      return try LabelSets(labelLists: l.items.map { try Arguments.integers($0, name: name, a) })
    default: return try LabelSets(labels: Arguments.integers(value, name: name, a))
    }
  }

  static func register(into r: inout BuiltinRegistry) {
    registerEvaluate(into: &r)
    registerMetrics(into: &r)
    registerExperiment(into: &r)
  }

  static func registerEvaluate(into r: inout BuiltinRegistry) {
    r.add(
      "evaluate", family: family,
      [
        Parameter("index", .host(IndexObject.scriptType)), Parameter("queries"),
        Parameter("query_labels", default: .nilValue), Parameter("database_labels", default: .nilValue),
        .keyword("bits", .optional(.list), default: .nilValue),
        .keyword("blocks", .optional(.list), default: .nilValue),
        .keyword("map_at", .optional(.integer), default: .nilValue),
        .keyword("precision_at", .list, default: .items([.int(100)])),
        .keyword("curve_cutoffs", .optional(.list), default: .nilValue),
        .keyword("method", .optional(.string), default: .nilValue),
        ModelBindings.inputKindParameter,
      ],
      returns: "evaluation",
      summary: "mAP@R, P@N and precision-recall curves of an index's rankings, for several code lengths at once.",
      doc:
        "`queries` is a dataset (its labels are the query labels) or vectors/inputs with `query_labels`. Database labels come from the index (built from a dataset) or `database_labels`. Code lengths: `bits:` (multiples of log2 K) or `blocks:`; all 1..M blocks by default. `map_at:` R of mAP@R (nil: the whole database). Items are relevant when they share a class.",
      example: example + "ev = evaluate(ix, d, blocks: [1, 2], precision_at: [5])\nev\nev.map"
    ) { a in
      let ix = try a.host("index", as: IndexObject.self)
      let queries = try ix.queries(a["queries"], a, "queries")
      let queryLabels: LabelSets
      if a.has("query_labels") {
        queryLabels = try labelSets(a["query_labels"], a, "query_labels")
      } else if case .host(let d as DatasetObject) = a["queries"] {
        queryLabels = try labelSets(d.data)
      } else {
        throw a.badArgument("query_labels", "query labels needed: pass a dataset as queries, or query_labels:")
      }
      let databaseLabels: LabelSets
      if a.has("database_labels") {
        databaseLabels = try labelSets(a["database_labels"], a, "database_labels")
      } else if let l = ix.labels {
        databaseLabels = l
      } else {
        throw a.badArgument(
          "database_labels",
          "the index does not know its items' labels (it was not built from a dataset): pass database_labels:")
      }
      let blocks = try blocksList(a, ix.index)
      let method = a.has("method") ? try a.string("method") : (ix.encoder?.name ?? "")
      let ev = try ix.index.evaluate(
        queries: queries, relevance: Relevance(queries: queryLabels, database: databaseLabels),
        blocksList: blocks, mapAt: a.optionalInteger("map_at"), precisionAt: a.integers("precision_at"),
        curveCutoffs: a.optionalIntegers("curve_cutoffs"), method: method, shouldStop: a.shouldStop)
      try a.stopIfRequested(
        keeping: .host(EvaluationObject(ev)),
        "evaluation stopped by request; ans holds the measures over the queries done so far")
      return .host(EvaluationObject(ev))
    }
    r.add(
      "exact_map", family: family,
      [
        Parameter("queries"), Parameter("database"), Parameter("query_labels", default: .nilValue),
        Parameter("database_labels", default: .nilValue), .keyword("metric", .string, default: .string("l2")),
        .keyword("map_at", .optional(.integer), default: .nilValue),
      ],
      returns: "number",
      summary: "mAP@R of exhaustive search on unquantized vectors: the ceiling any quantizer of them can reach.",
      doc:
        "`queries` and `database` are vectors [n, D] or datasets (their features and labels); labels otherwise come from `query_labels:` and `database_labels:`. `metric:` \"l2\" (squared distance) or \"ip\" (inner product). Ties rank by database position, as in `evaluate`.",
      example: "d = blobs(n: 60, classes: 3, dim: 4, seed: 1)\nexact_map(d, d)"
    ) { a in
      func labels(_ name: String, _ data: Value) throws -> LabelSets {
        if a.has(name) { return try labelSets(a[name], a, name) }
        if case .host(let d as DatasetObject) = data { return try labelSets(d.data) }
        throw a.badArgument(name, "labels needed: pass a dataset, or \(name):")
      }
      let metric: IndexMetric = try a.choice("metric", ["l2", "ip"]) == "l2" ? .squaredL2 : .innerProduct
      let relevance = Relevance(
        queries: try labels("query_labels", a["queries"]),
        database: try labels("database_labels", a["database"]))
      return .number(
        try ExactSearch.meanAveragePrecision(
          queries: QuantizerBindings.vectors(a["queries"], a, "queries"),
          database: QuantizerBindings.vectors(a["database"], a, "database"),
          relevance: relevance, metric: metric, at: a.optionalInteger("map_at"), shouldStop: a.shouldStop))
    }
    r.add(
      "compare", family: family, [Parameter("evaluations", .list)], returns: "comparison",
      summary:
        "One table across methods: a row per method and code length, with mAP and P@N columns; evaluations ranked by different scores (inner product, squared L2) get a table each.",
      example: example + "q = pq(d, subspaces: 2, codewords: 8)\ncompare([evaluate(ix, d), evaluate(q.index(d), d)])"
    ) { a in
      .host(ComparisonObject(try evaluations(a["evaluations"], a, "evaluations")))
    }

    let ex = example + "ev = evaluate(ix, d, precision_at: [5, 10])\n"
    r.property(
      "map", of: EvaluationObject.self, family: family, returns: "record",
      summary: "mAP by code length: a record keyed by bits (ev.map[\"16\"]).", example: ex + "ev.map"
    ) { e in
      e.byBits { .number($0.meanAveragePrecision) }
    }
    r.property(
      "bits", of: EvaluationObject.self, family: family, returns: "list",
      summary: "The evaluated code lengths in bits.",
      example: ex + "ev.bits"
    ) { .numbers($0.evaluation.codeLengths.map(\.bits)) }
    r.property(
      "blocks", of: EvaluationObject.self, family: family, returns: "list",
      summary: "The evaluated code lengths in blocks.",
      example: ex + "ev.blocks"
    ) { .ints($0.evaluation.codeLengths.map(\.blocks)) }
    r.property(
      "cutoffs", of: EvaluationObject.self, family: family, returns: "list",
      summary: "The N of the P@N and R@N values.",
      example: ex + "ev.cutoffs"
    ) { .ints($0.evaluation.precisionCutoffs) }
    r.property(
      "precision_at", of: EvaluationObject.self, family: family, returns: "record",
      summary: "P@N by code length: a record keyed by bits of lists aligned with cutoffs.",
      example: ex + "ev.precision_at"
    ) { e in
      e.byBits { .numbers($0.precisionAt) }
    }
    r.property(
      "recall_at", of: EvaluationObject.self, family: family, returns: "record",
      summary: "R@N by code length: a record keyed by bits of lists aligned with cutoffs.", example: ex + "ev.recall_at"
    ) { e in
      e.byBits { .numbers($0.recallAt) }
    }
    r.property(
      "average_precisions", of: EvaluationObject.self, family: family, returns: "record",
      summary: "AP of each query by code length (a record keyed by bits).",
      example: ex + "len(ev.average_precisions[\"2\"])"
    ) { e in
      e.byBits { .numbers($0.averagePrecisions) }
    }
    r.property(
      "pr_curve", of: EvaluationObject.self, family: family, returns: "pr_curves",
      summary: "Mean precision against recall at rank cutoffs, per code length (plot() draws it).",
      example: ex + "ev.pr_curve"
    ) { .host(PRCurvesObject($0.prCurves(interpolated: false), interpolated: false)) }
    r.property(
      "interpolated_pr", of: EvaluationObject.self, family: family, returns: "pr_curves",
      summary: "The 11-point interpolated precision-recall curve per code length.",
      example: ex + "ev.interpolated_pr"
    ) { .host(PRCurvesObject($0.prCurves(interpolated: true), interpolated: true)) }
    r.property(
      "method", of: EvaluationObject.self, family: family, returns: "string",
      summary: "The method name of the rows in tables and plots (settable: ev.method = \"DPQ\").",
      example: ex + "ev.method = \"mine\"\nev.method"
    ) { .string($0.evaluation.method) }
    r.property(
      "queries", of: EvaluationObject.self, family: family, returns: "number",
      summary: "The number of queries evaluated.",
      example: ex + "ev.queries"
    ) { .int($0.evaluation.completedQueries) }
    r.property(
      "complete", of: EvaluationObject.self, family: family, returns: "bool",
      summary: "False when a stop request ended the evaluation early.", example: ex + "ev.complete"
    ) { .bool($0.evaluation.isComplete) }
    r.property(
      "curves", of: PRCurvesObject.self, family: family, returns: "list",
      summary: "Each curve as a record {method, bits, recall, precision}.", example: ex + "ev.pr_curve.curves[0].bits"
    ) { p in
      .items(
        p.curves.map {
          .fields([
            ("method", .string($0.method)), ("bits", .int($0.bits)), ("recall", .numbers($0.recall)),
            ("precision", .numbers($0.precision)),
          ])
        })
    }
    r.property(
      "evaluations", of: ComparisonObject.self, family: family, returns: "list", summary: "The evaluations compared.",
      example: ex + "len(compare([ev, ev]).evaluations)"
    ) { c in .items(c.evaluations.map { .host(EvaluationObject($0)) }) }
  }

  /// Blocks to evaluate from `bits:` or `blocks:` (nil: all).
  static func blocksList(_ a: Arguments, _ index: Index) throws -> [Int]? {
    if a.has("blocks") { return try a.integers("blocks") }
    guard a.has("bits") else { return nil }
    let perBlock = index.bitsPerBlock
    return try a.doubles("bits").map { b in
      let blocks = b / perBlock
      guard abs(blocks - blocks.rounded()) < 1e-9, blocks >= 1, Int(blocks.rounded()) <= index.blockCount else {
        throw a.badArgument(
          "bits",
          "\(Value.format(number: b)) bits is not a whole number of blocks of \(Value.format(number: perBlock)) bits (1...\(index.blockCount) blocks)"
        )
      }
      return Int(blocks.rounded())
    }
  }

  static func evaluations(_ value: Value, _ a: Arguments, _ name: String) throws -> [Evaluation] {
    guard case .list(let l) = value else {
      throw a.badArgument(name, "list of evaluations expected, got \(value.typeName)")
    }
    return try l.items.enumerated().flatMap { i, v -> [Evaluation] in
      switch v {
      case .host(let e as EvaluationObject): return [e.evaluation]
      case .host(let c as ComparisonObject): return c.evaluations
      default: throw a.badArgument(name, "list of evaluations expected, item \(i) is \(v.typeName)")
      }
    }
  }

  static func registerMetrics(into r: inout BuiltinRegistry) {
    let relevant = Parameter("relevant", .oneOf([.list, .tensor]))
    r.add(
      "average_precision", family: family, [relevant, .keyword("at", .optional(.integer), default: .nilValue)],
      returns: "number",
      summary: "AP@R of one ranking given the relevance of its entries, best first (true/false or 1/0).",
      doc:
        "AP@R = (1 / relevant entries in the top R) * sum of P@r over the relevant ranks r <= R; 0 when none. `at: nil` uses the whole list.",
      example: "average_precision([true, false, true])\naverage_precision([1, 0, 1], at: 2)"
    ) { a in
      .number(try Metrics.averagePrecision(relevant: a.bools("relevant"), at: a.optionalInteger("at")))
    }
    r.add(
      "precision_at", family: family, [Parameter("n", .integer), relevant], returns: "number",
      summary: "P@N: relevant entries among the first n, divided by n.", example: "precision_at(2, [true, false, true])"
    ) { a in
      .number(try Metrics.precisionAt(a.integer("n"), relevant: a.bools("relevant")))
    }
    r.add(
      "recall_at", family: family, [Parameter("n", .integer), relevant, Parameter("total", .integer)],
      returns: "number",
      summary: "R@N: relevant entries among the first n, divided by the total relevant items.",
      example: "recall_at(2, [true, false, true], 4)"
    ) { a in
      .number(try Metrics.recallAt(a.integer("n"), relevant: a.bools("relevant"), totalRelevant: a.integer("total")))
    }
    r.add(
      "pr_curve", family: family, [relevant, Parameter("total", .integer)], returns: "record",
      summary: "Precision and recall at every rank cut of one ranking: {cutoffs, precision, recall}.",
      example: "pr_curve([true, false, true], 2)"
    ) { a in
      let c = try Metrics.precisionRecallCurve(relevant: a.bools("relevant"), totalRelevant: a.integer("total"))
      return .fields([
        ("cutoffs", .ints(c.cutoffs)), ("precision", .numbers(c.precision)), ("recall", .numbers(c.recall)),
      ])
    }
    r.add(
      "mean_average_precision", family: family,
      [
        Parameter("rankings", .list), Parameter("query_labels"), Parameter("database_labels"),
        .keyword("at", .optional(.integer), default: .nilValue),
      ],
      returns: "number", summary: "mAP@R of ranked database ids (one list per query), relevance by shared labels.",
      doc: "(The name `map` is the list builtin; `ev.map` gives an evaluation's mAP.)",
      example: "mean_average_precision([[0, 1, 2], [2, 1, 0]], [0, 1], [0, 1, 0])"
    ) { a in
      let rankings = try a.list("rankings").items.map { try Arguments.integers($0, name: "rankings", a) }
      let relevance = Relevance(
        queries: try labelSets(a["query_labels"], a, "query_labels"),
        database: try labelSets(a["database_labels"], a, "database_labels"))
      return .number(
        try Metrics.meanAveragePrecision(rankings: rankings, relevance: relevance, at: a.optionalInteger("at")))
    }
  }

  static func registerExperiment(into r: inout BuiltinRegistry) {
    r.add(
      "experiment", family: family,
      [
        Parameter(
          "protocol", .oneOf([.string, .host(SplitObject.scriptType), DataBindings.datasetType]),
          default: .string("fm-small")),
        .keyword("epochs", .optional(.integer), default: .nilValue),
        .keyword("seed", .integer, default: .number(7)), .keyword("seeds", .integer, default: .number(1)),
        .keyword("baselines", .bool, default: .bool(true)),
        .keyword("augment", .integer, default: .number(2)), .keyword("flip", .bool, default: .bool(true)),
        .keyword("opq_iterations", .integer, default: .number(10)),
        .keyword("batch", .integer, default: .number(128)), .keyword("dim", .optional(.integer), default: .nilValue),
        .keyword("blocks", .optional(.integer), default: .nilValue),
        .keyword("codewords", .optional(.integer), default: .nilValue),
        .keyword("dir", .optional(.string), default: .nilValue),
        .keyword("json", .optional(.string), default: .nilValue),
        .keyword("ranking", .optional(.string), default: .nilValue),
      ],
      returns: "experiment",
      summary:
        "Runs the reference experiment (DPQ against PQ, OPQ, RQ and PQ on the raw inputs) on a protocol or on your own data, and returns its tables.",
      doc:
        "`protocol`: \"fm5k\", \"fm-full\", \"fm-small\" (1,000 training images, 200 queries, a 5,000-image database) or \"fm5k-val\" (FM-5k's training set with queries and database from the other training images, for choosing settings); or your own data: a split (its train, query and database parts) or a dataset, which is split as `dpq experiment --data` splits it (per class: a tenth of the smallest class as queries, at most 100, half of it for training, at most 500, the database every non-query item). The model follows the data: LeNet for [1, 28, 28] items, the CIFAR network for [3, 32, 32], the MLP for vectors; `dim:`, `blocks:` and `codewords:` set D, M and K; shifts (`augment:`) and flips (`flip:`) apply to images only. `epochs:` nil trains for the trainer's default, as `dpq experiment` does. `seeds:` N trains seeds `seed`..`seed`+N-1 on one split: `ex.map` then holds means, `ex.sd` standard deviations, and `ex.comparisons` pairs the per-query APs averaged over the seeds. `json:` writes the results to that file as `dpq experiment --json` does. Every method is reported under every ranking (feature queries by inner product, \"feature-ip\"; by squared L2, \"feature-l2\"; class queries, \"class\"), one table each; `ranking:` picks the main one, whose rows carry the plain method names (the others are \"DPQ (feature-l2)\" and so on). `ex.comparisons` gives DPQ minus the best of PQ, OPQ and RQ with paired 95% intervals. The result keeps the (first seed's) trained model (`ex.model`), the normalised split it saw (`ex.split`), and DPQ's index and evaluation (`ex.index`, `ex.evaluation`) for further plots. Steps are reported through the progress reporter; a stop request ends the run early.",
      example:
        "# ex = experiment(\"fm-small\", epochs: 2)   (about a minute)\n# ex = experiment(load_csv(\"mine.csv\"), epochs: 10, seeds: 3)\n# ex.map[\"DPQ\"][\"32\"]\nhelp(\"experiment\")"
    ) { a in
      var o = ReferenceExperiment.Options()
      o.seed = try a.seed()
      switch a["protocol"] {
      case .host(let s as SplitObject): o.data = s.split
      case .host(let d as DatasetObject): o.data = try Splits.retrieval(d.data, seed: o.seed)
      default:
        let name = try a.choice("protocol", ReferenceExperiment.ProtocolName.allCases.map(\.rawValue))
        o.protocolName = ReferenceExperiment.ProtocolName(rawValue: name) ?? .fmSmall
      }
      if let epochs = try a.optionalInteger("epochs") { o.training.epochs = epochs }
      o.training.batchSize = try a.positive("batch")
      o.training.seed = o.seed
      o.baselines = try a.bool("baselines")
      o.augmentShift = try a.integer("augment")
      o.horizontalFlip = try a.bool("flip")
      o.opqIterations = try a.integer("opq_iterations")
      if a.has("dim") { o.model.featureDimension = try a.positive("dim") }
      if a.has("blocks") { o.model.blockCount = try a.positive("blocks") }
      if a.has("codewords") { o.model.codewordCount = try a.positive("codewords") }
      if a.has("dir") { o.dataDirectory = try a.string("dir") }
      if a.has("ranking") {
        o.mainRanking =
          ReferenceExperiment.Ranking(
            rawValue: try a.choice("ranking", ReferenceExperiment.Ranking.allCases.map(\.rawValue))) ?? o.mainRanking
      }
      let seeds = try a.positive("seeds")
      var run = ReferenceExperiment(options: o)
      let reporter = a.interpreter.bindingSettings.progress
      run.report = { reporter?.message($0) }
      run.shouldStop = a.shouldStop
      let object: ExperimentObject
      if seeds > 1 {
        let (summary, artifacts) = try run.runSeedsKeepingArtifacts(seeds)
        object = ExperimentObject(summary, artifacts: artifacts)
      } else {
        let (result, artifacts) = try run.runKeepingArtifacts()
        object = ExperimentObject(result, artifacts: artifacts, seed: o.seed)
      }
      try a.stopIfRequested()
      if a.has("json") {
        let path = try a.string("json")
        do {
          if let summary = object.summary {
            try ReferenceExperiment.writeJSON(summary, options: o, to: path)
          } else {
            try ReferenceExperiment.writeJSON(object.result, options: o, to: path)
          }
        } catch {
          throw ScriptError.failure("experiment: cannot write \(path): \(error)")
        }
      }
      return .host(object)
    }
    let ex = "# ex = experiment(\"fm-small\", epochs: 1)\n"
    r.property(
      "rows", of: ExperimentObject.self, family: family, returns: "list",
      summary:
        "One record per method and ranking: {method, base_method, ranking, map, precision_at_100, training_seconds, encoding_per_second, queries_per_second} (with `seeds:`, map is the mean and the rest the first seed's).",
      example: ex + "# ex.rows[0].method\nhelp(\"experiment.rows\")"
    ) { e in
      func byBits(_ d: [Int: Double]) -> Value {
        .fields(e.result.bits.compactMap { b in d[b].map { (String(b), .number($0)) } })
      }
      return .items(
        e.result.rows.map { row in
          .fields([
            ("method", .string(row.method)), ("base_method", .string(row.baseMethod)),
            ("ranking", .string(row.ranking.rawValue)),
            ("map", byBits(e.meanMAP(row))), ("precision_at_100", byBits(row.precisionAt100)),
            ("training_seconds", .number(row.trainingSeconds)), ("encoding_per_second", .number(row.encodingPerSecond)),
            ("queries_per_second", .number(row.queriesPerSecond)),
          ])
        })
    }
    r.property(
      "comparisons", of: ExperimentObject.self, family: family, returns: "list",
      summary:
        "DPQ minus the best of PQ/OPQ/RQ per ranking and length: {ranking, bits, baseline, mean, low, high} (paired 95% interval over the queries).",
      example: ex + "# ex.comparisons[0].mean\nhelp(\"experiment.comparisons\")"
    ) { e in
      .items(
        e.comparisons.map { c in
          .fields([
            ("ranking", .string(c.ranking.rawValue)), ("bits", .int(c.bits)), ("baseline", .string(c.baseline)),
            ("mean", .number(c.difference.mean)), ("low", .number(c.difference.low)),
            ("high", .number(c.difference.high)),
          ])
        })
    }
    r.property(
      "map", of: ExperimentObject.self, family: family, returns: "record",
      summary: "mAP by method, then by bits: ex.map[\"DPQ\"][\"32\"] (the mean over the seeds of `seeds:`).",
      example: ex + "help(\"experiment.map\")"
    ) { e in
      e.cells { $0.mean }
    }
    r.property(
      "sd", of: ExperimentObject.self, family: family, returns: "record",
      summary: "The standard deviation over the seeds of each mAP, as ex.map is laid out (0 for one seed).",
      example: ex + "help(\"experiment.sd\")"
    ) { e in
      e.cells { $0.standardDeviation }
    }
    r.property(
      "seeds", of: ExperimentObject.self, family: family, returns: "list",
      summary: "The training seeds of the runs (one unless `seeds:` asked for more).",
      example: ex + "help(\"experiment.seeds\")"
    ) { e in
      .ints(e.summary?.seeds.map { Int($0) } ?? [Int(e.seed)])
    }
    r.property(
      "log", of: ExperimentObject.self, family: family, returns: "training_log",
      summary: "The DPQ model's training log.", example: ex + "help(\"experiment.log\")"
    ) { e in
      .host(TrainingLogObject(e.result.log, requested: e.result.log.count, stopped: false))
    }
    r.property(
      "accuracy", of: ExperimentObject.self, family: family, returns: "number",
      summary: "The DPQ classifier's accuracy on the queries (the mean over the seeds).",
      example: ex + "help(\"experiment.accuracy\")"
    ) { .number($0.summary?.accuracy.mean ?? $0.result.testAccuracy) }
    r.property(
      "bits", of: ExperimentObject.self, family: family, returns: "list",
      summary: "The code lengths of the table.", example: ex + "help(\"experiment.bits\")"
    ) { .ints($0.result.bits) }
    r.property(
      "model", of: ExperimentObject.self, family: family, returns: "model",
      summary: "The trained DPQ model (its training log is `ex.model.log`).",
      example: ex + "# ex.model.codeword_usage(ex.split.database)\nhelp(\"experiment.model\")"
    ) { e in
      e.model.map { .host($0) } ?? .nilValue
    }
    r.property(
      "split", of: ExperimentObject.self, family: family, returns: "split",
      summary: "The protocol's split, normalised by the training part's statistics: the inputs the model saw.",
      example: ex + "# ex.model.accuracy(ex.split.query)\nhelp(\"experiment.split\")"
    ) { e in
      e.split.map { .host($0) } ?? .nilValue
    }
    r.property(
      "index", of: ExperimentObject.self, family: family, returns: "index",
      summary:
        "DPQ's index of the database (ranking by the experiment's search metric), with the database labels and images.",
      example: ex + "# plot_retrieval(ex.index, ex.split.query, k: 6)\nhelp(\"experiment.index\")"
    ) { e in
      try e.index().map { .host($0) } ?? .nilValue
    }
    r.property(
      "evaluation", of: ExperimentObject.self, family: family, returns: "evaluation",
      summary: "DPQ's evaluation at every code length: mAP@all, P@100 and precision-recall curves.",
      example: ex + "# plot_pr(ex.evaluation)\nhelp(\"experiment.evaluation\")"
    ) { e in
      e.artifacts.map { .host(EvaluationObject($0.evaluation)) } ?? .nilValue
    }
  }
}
