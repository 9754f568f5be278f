import DPQData
import DPQLanguage
import DPQPlot
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// The plot family: figures of training and retrieval quality, drawn by gnuplot; `plot(x)` picks
/// the figure from the value (codebook figures in Bindings+PlotCodebooks.swift, figure values
/// and files in Bindings+Figure.swift).
enum PlotBindings {
  static let family = "plot"
  static var titleParameter: Parameter { Parameter.keyword("title", .optional(.string), default: .nilValue) }

  static func figure(_ f: Figure, _ a: Arguments) -> Value {
    .host(FigureObject(f, settings: a.interpreter.bindingSettings))
  }

  static func titled(_ f: Figure, _ a: Arguments) throws -> Figure {
    var f = f
    if a.has("title") { f.title = try a.string("title") }
    return f
  }

  static func register(into r: inout BuiltinRegistry) {
    registerDispatch(into: &r)
    registerTraining(into: &r)
    registerRetrieval(into: &r)
    registerCodebooks(into: &r)
    registerFigureMembers(into: &r)
  }

  // MARK: plot(x)

  static func registerDispatch(into r: inout BuiltinRegistry) {
    r.add(
      "plot", family: family, [Parameter("x"), Parameter("data", default: .nilValue), titleParameter],
      returns: "figure",
      summary:
        "A figure chosen by what x is: a training log, evaluations, PR curves, a model or quantizer with data, numbers.",
      doc:
        "A training log gives training curves; an evaluation, a list of them, a comparison or an experiment gives mAP against bits; `ev.pr_curve` precision-recall curves; a model or quantizer with `data` codeword usage; a list or rank-1 tensor of numbers, or a record of such lists, a line per series; an [n, 2] tensor a scatter plot. Printing the figure draws it in the terminal; `save(fig, \"fig.png\")` writes it.",
      example: "fig = plot([3, 1, 2], title: \"numbers\")\nfig.title"
    ) { a in
      let x = a["x"]
      switch x {
      case .host(let h as TrainingLogObject): return figure(try titled(trainingFigure(h, logScale: false), a), a)
      case .host(is EvaluationObject), .host(is ComparisonObject), .host(is ExperimentObject):
        return figure(try titled(mapFigure(x, a, parameter: "x"), a), a)
      case .list(let l) where l.items.contains(where: { if case .host = $0 { return true } else { return false } }):
        return figure(try titled(mapFigure(x, a, parameter: "x"), a), a)
      case .host(let p as PRCurvesObject): return figure(try titled(Figure.precisionRecall(p.curves), a), a)
      case .host(is ModelObject), .host(is QuantizerObject), .host(is CodesObject):
        return figure(
          try titled(Figure.codewordUsage(try usageCounts(x, data: a["data"], a), sortedByCount: false), a), a)
      case .host(let f as FigureObject): return .host(f)
      default: return figure(try titled(linesFigure(x, a, "x"), a), a)
      }
    }
  }

  /// Series from numbers: a list or rank-1 tensor (one series), a record of them (named series),
  /// or an [n, 2] tensor (a scatter of points).
  static func linesFigure(_ value: Value, _ a: Arguments, _ name: String) throws -> Figure {
    func numbers(_ v: Value) throws -> [Double] {
      switch v {
      case .tensor(let t) where t.rank <= 1: return t.scalars.map(Double.init)
      case .list(let l):
        return try l.items.map { item in
          guard case .number(let x) = item else {
            throw a.badArgument(name, "numbers expected, found \(item.typeName)")
          }
          return x
        }
      default:
        throw a.badArgument(
          name, "a training log, evaluation, PR curves, model, numbers or an [n, 2] tensor expected, got \(v.typeName)")
      }
    }
    if case .tensor(let t) = value, t.rank == 2 {
      guard t.shape[1] == 2 else {
        throw a.badArgument(name, "an [n, 2] tensor of points expected, got shape \(Format.shape(t.shape))")
      }
      let s = t.scalars
      let xs = stride(from: 0, to: s.count, by: 2).map { Double(s[$0]) }
      let ys = stride(from: 1, to: s.count, by: 2).map { Double(s[$0]) }
      return Figure(series: [Series(style: .points, x: xs, y: ys, pointSize: 0.6)])
    }
    var named: [(String, [Double])] = []
    if case .record(let r) = value {
      named = try r.fields.map { ($0.key, try numbers($0.value)) }
    } else {
      named = [("", try numbers(value))]
    }
    let series = named.enumerated().map { i, s in
      Series(
        title: s.0, style: s.1.count <= 40 ? .linesPoints : .lines, x: s.1.indices.map(Double.init), y: s.1,
        color: Palette.category(i), pointSize: 0.7)
    }
    return Figure(series: series)
  }

  // MARK: training

  static func trainingFigure(_ log: TrainingLogObject, logScale: Bool) throws -> Figure {
    guard let curves = DPQTrainingCurves(log.lines) else {
      throw ScriptError.failure("the training log has no epochs to plot")
    }
    return try Figure.trainingCurves(
      losses: (logScale ? curves.positiveLosses : curves.losses).map { ($0.name, $0.values) },
      accuracies: curves.accuracies.map { ($0.name, $0.values) },
      epochs: curves.epochs, logScaleLoss: logScale)
  }

  static func registerTraining(into r: inout BuiltinRegistry) {
    r.add(
      "plot_training", family: family,
      [
        Parameter("log", .host(TrainingLogObject.scriptType)),
        .keyword("log_scale", .bool, default: .bool(false)), titleParameter,
      ],
      returns: "figure", summary: "Every loss term and the training accuracy of a training log against epochs.",
      example: ModelBindings.exampleModel + "fig = plot_training(train(m, d, epochs: 2, batch: 32))\nfig.panels"
    ) { a in
      figure(try titled(trainingFigure(a.host("log", as: TrainingLogObject.self), logScale: a.bool("log_scale")), a), a)
    }
    r.add(
      "plot_lines", family: family,
      [
        Parameter("values"), .keyword("x", .any, default: .nilValue),
        .keyword("x_label", .string, default: .string("")),
        .keyword("y_label", .string, default: .string("")), titleParameter,
      ],
      returns: "figure",
      summary: "Line plots of numbers: a list or tensor, or a record of named lists (one line each).",
      doc:
        "`x:` gives the x value of each point (a list or tensor as long as every line; default 0, 1, 2, ...). A few whole x values (epochs) get a tic each.",
      example: "plot_lines({train: [0.9, 0.5, 0.3], test: [1.0, 0.7, 0.6]}, x: [1, 2, 3], x_label: \"epoch\").panels"
    ) { a in
      var f = try linesFigure(a["values"], a, "values")
      if a.has("x") {
        let xs = try a.doubles("x")
        for i in f.panels[0].series.indices {
          let count = f.panels[0].series[i].y.count
          guard count == xs.count else {
            throw a.badArgument("x", "\(xs.count) x values for a line of \(count) values")
          }
          f.panels[0].series[i].x = xs
        }
      }
      f.panels[0].x.tics = Axis.wholeTics(f.panels[0].series.flatMap(\.x))
      f.panels[0].x.label = try a.string("x_label")
      f.panels[0].y.label = try a.string("y_label")
      return figure(try titled(f, a), a)
    }
  }

  // MARK: retrieval quality

  /// mAP against bits for evaluations, comparisons, experiments, or a list of them.
  static func mapFigure(_ value: Value, _ a: Arguments, parameter: String) throws -> Figure {
    var methods: [(method: String, bits: [Int], map: [Double])] = []
    func add(_ v: Value) throws {
      switch v {
      case .host(let e as EvaluationObject): methods.append(mapSeries(e.evaluation))
      case .host(let c as ComparisonObject): methods += c.evaluations.map(mapSeries)
      case .host(let x as ExperimentObject):
        // The main block only: one figure, one ranking, like for like.
        for row in x.result.rows where row.ranking == x.result.rankings.first {
          let bits = x.result.bits.filter { row.map[$0] != nil }
          methods.append((row.method, bits, bits.map { row.map[$0] ?? 0 }))
        }
      case .list(let l): for item in l.items { try add(item) }
      default: throw a.badArgument(parameter, "evaluations, a comparison or an experiment expected, got \(v.typeName)")
      }
    }
    try add(value)
    // One method evaluated at different code lengths by separate evaluations (PQ trained once per
    // length) is one line; the same method at the same length twice (two evaluations of unnamed
    // indexes) gets numbered names.
    var merged: [(method: String, bits: [Int], map: [Double])] = []
    for m in methods {
      let name = m.method.isEmpty ? "index" : m.method
      if let i = merged.firstIndex(where: { $0.method == name }), Set(merged[i].bits).isDisjoint(with: m.bits) {
        merged[i].bits += m.bits
        merged[i].map += m.map
      } else {
        merged.append((name, m.bits, m.map))
      }
    }
    var seen: [String: Int] = [:]
    for i in merged.indices {
      let name = merged[i].method
      seen[name, default: 0] += 1
      merged[i].method = seen[name]! > 1 ? "\(name) \(seen[name]!)" : name
    }
    return try Figure.mapByCodeLength(merged)
  }

  static func mapSeries(_ e: Evaluation) -> (method: String, bits: [Int], map: [Double]) {
    (e.method, e.codeLengths.map { Int($0.bits.rounded()) }, e.codeLengths.map(\.meanAveragePrecision))
  }

  static func registerRetrieval(into r: inout BuiltinRegistry) {
    let ex = EvaluationBindings.example + "ev = evaluate(ix, d)\n"
    r.add(
      "plot_map", family: family, [Parameter("evaluations"), titleParameter], returns: "figure",
      summary: "mAP against code length, one line per method (evaluations, a comparison or an experiment).",
      doc:
        "Evaluations of one method at different code lengths (PQ trained once per length, each evaluated at its own length) join into one line; the same method at the same length twice gets a numbered name.",
      example: ex + "plot_map([ev]).panels"
    ) { a in
      figure(try titled(mapFigure(a["evaluations"], a, parameter: "evaluations"), a), a)
    }
    r.add(
      "plot_pr", family: family,
      [Parameter("curves"), .keyword("interpolated", .bool, default: .bool(false)), titleParameter],
      returns: "figure", summary: "Precision-recall curves of evaluations (every code length) or of ev.pr_curve.",
      doc: "`interpolated: true` draws the 11-point interpolated curves.",
      example: ex + "plot_pr(ev).panels"
    ) { a in
      let interpolated = try a.bool("interpolated")
      var curves: [PRCurve] = []
      func add(_ v: Value) throws {
        switch v {
        case .host(let p as PRCurvesObject): curves += p.curves
        case .host(let e as EvaluationObject): curves += e.prCurves(interpolated: interpolated)
        case .host(let c as ComparisonObject):
          curves += c.evaluations.flatMap { EvaluationObject($0).prCurves(interpolated: interpolated) }
        case .list(let l): for item in l.items { try add(item) }
        default: throw a.badArgument("curves", "evaluations or PR curves expected, got \(v.typeName)")
        }
      }
      try add(a["curves"])
      return figure(try titled(Figure.precisionRecall(curves), a), a)
    }
    r.add(
      "plot_precision_at", family: family,
      [Parameter("evaluations"), .keyword("log_scale", .bool, default: .bool(false)), titleParameter],
      returns: "figure", summary: "Precision of the top N results against N, per method and code length.",
      example: ex + "plot_precision_at(ev, log_scale: true).panels"
    ) { a in
      var curves: [PrecisionAtNCurve] = []
      func add(_ v: Value) throws {
        switch v {
        case .host(let e as EvaluationObject): curves += e.precisionAtN()
        case .host(let c as ComparisonObject): curves += c.evaluations.flatMap { EvaluationObject($0).precisionAtN() }
        case .list(let l): for item in l.items { try add(item) }
        default: throw a.badArgument("evaluations", "evaluations expected, got \(v.typeName)")
        }
      }
      try add(a["evaluations"])
      return figure(try titled(Figure.precisionAtN(curves, logScaleN: a.bool("log_scale")), a), a)
    }
    r.add(
      "plot_retrieval", family: family,
      [
        Parameter("index", .host(IndexObject.scriptType)), Parameter("queries", DataBindings.datasetType),
        Parameter("query_ids", default: .items([.int(0), .int(1), .int(2)])),
        .keyword("k", .integer, default: .number(8)),
        .keyword("blocks", .optional(.integer), default: .nilValue), titleParameter,
      ],
      returns: "figure", summary: "Query images and their top-k results, framed green when relevant and red when not.",
      doc:
        "The index must have been built from a dataset of images (it keeps them); `queries` is a dataset of images, `query_ids` picks up to 20 of them.",
      example:
        "images = dataset(rand([20, 1, 8, 8], seed: 1), [0, 1] * 10)\nix = pq(images, subspaces: 2, codewords: 4).index(images)\nplot_retrieval(ix, images, [0, 1], k: 3).panels"
    ) { a in
      let ix = try a.host("index", as: IndexObject.self)
      let queries = try a.host("queries", as: DatasetObject.self).data
      guard let items = ix.items, let labels = ix.labels else {
        throw a.badArgument("index", "an index built from a dataset expected (it keeps the database images and labels)")
      }
      let ids = try a.integers("query_ids")
      let chosen = try queries.subset(ids)
      let q = try ix.queries(.host(DatasetObject(chosen)), a, "queries")
      let result = try ix.index.search(queries: q, k: a.positive("k"), blocks: a.optionalInteger("blocks"))
      let queryLabels = try EvaluationBindings.labelSets(chosen)
      let relevance = Relevance(queries: queryLabels, database: labels)
      let ranking = try (0..<ids.count).map { try result.ids(query: $0) }
      let relevant = try ranking.enumerated().map { try relevance.relevance(query: $0.offset, ranking: $0.element) }
      return figure(
        try titled(
          Figure.retrievalGrid(
            queries: chosen.features, database: items.features, ranking: ranking,
            relevant: relevant), a), a)
    }
  }
}
