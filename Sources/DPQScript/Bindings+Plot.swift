import DPQData
import DPQPlot
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// The plot family: figures of training, retrieval quality, codebooks and projections, drawn by
/// gnuplot; `plot(x)` picks the figure from the value.
enum PlotBindings {
  static let family = "plot"
  static let titleParameter = Parameter.keyword("title", .optional(.string), default: .nilValue)

  static func figure(_ f: Figure, _ a: Arguments) -> Value { .host(FigureObject(f, settings: a.interpreter.bindingSettings)) }

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
    r.add("plot", family: family, [Parameter("x"), Parameter("data", default: .nilValue), titleParameter], returns: "figure",
          summary: "A figure chosen by what x is: a training log, evaluations, PR curves, a model or quantizer with data, numbers.",
          doc: "A training log gives training curves; an evaluation, a list of them, a comparison or an experiment gives mAP against bits; `ev.pr_curve` precision-recall curves; a model or quantizer with `data` codeword usage; a list or rank-1 tensor of numbers, or a record of such lists, a line per series; an [n, 2] tensor a scatter plot. Printing the figure draws it in the terminal; `save(fig, \"fig.png\")` writes it.",
          example: "fig = plot([3, 1, 2], title: \"numbers\")\nfig.title") { a in
      let x = a["x"]
      switch x {
      case .host(let h as TrainingLogObject): return figure(try titled(trainingFigure(h, logScale: false), a), a)
      case .host(is EvaluationObject), .host(is ComparisonObject), .host(is ExperimentObject):
        return figure(try titled(mapFigure(x, a), a), a)
      case .list(let l) where l.items.contains(where: { if case .host = $0 { return true } else { return false } }):
        return figure(try titled(mapFigure(x, a), a), a)
      case .host(let p as PRCurvesObject): return figure(try titled(Figure.precisionRecall(p.curves), a), a)
      case .host(is ModelObject), .host(is QuantizerObject), .host(is CodesObject):
        return figure(try titled(Figure.codewordUsage(try usageCounts(x, data: a["data"], a), sortedByCount: false), a), a)
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
          guard case .number(let x) = item else { throw a.badArgument(name, "numbers expected, found \(item.typeName)") }
          return x
        }
      default: throw a.badArgument(name, "a training log, evaluation, PR curves, model, numbers or an [n, 2] tensor expected, got \(v.typeName)")
      }
    }
    if case .tensor(let t) = value, t.rank == 2 {
      guard t.shape[1] == 2 else { throw a.badArgument(name, "an [n, 2] tensor of points expected, got shape \(Format.shape(t.shape))") }
      let s = t.scalars
      let xs = stride(from: 0, to: s.count, by: 2).map { Double(s[$0]) }, ys = stride(from: 1, to: s.count, by: 2).map { Double(s[$0]) }
      return Figure(series: [Series(style: .points, x: xs, y: ys, pointSize: 0.6)])
    }
    var named: [(String, [Double])] = []
    if case .record(let r) = value {
      named = try r.fields.map { ($0.key, try numbers($0.value)) }
    } else {
      named = [("", try numbers(value))]
    }
    let series = named.enumerated().map { i, s in
      Series(title: s.0, style: s.1.count <= 40 ? .linesPoints : .lines, x: s.1.indices.map(Double.init), y: s.1,
             color: Palette.category(i), pointSize: 0.7)
    }
    return Figure(series: series)
  }

  // MARK: training

  static func trainingFigure(_ log: TrainingLogObject, logScale: Bool) throws -> Figure {
    let lines = log.lines
    guard !lines.isEmpty else { throw ScriptError.failure("the training log has no epochs to plot") }
    var losses: [(name: String, values: [Double])] = [("classification", lines.map { Double($0.classificationLoss) })]
    if lines.contains(where: { $0.stage == 2 }) {
      losses += [("soft", lines.map { Double($0.softLoss) }), ("hard", lines.map { Double($0.hardLoss) }),
                 ("joint", lines.map { Double($0.jointLoss) }), ("total", lines.map { Double($0.totalLoss) })]
    }
    return try Figure.trainingCurves(losses: logScale ? losses.filter { $0.values.allSatisfy { $0 > 0 } } : losses,
                                     accuracies: [("train accuracy", lines.map { Double($0.accuracy) })],
                                     epochs: lines.map { Double($0.epoch) }, logScaleLoss: logScale)
  }

  static func registerTraining(into r: inout BuiltinRegistry) {
    r.add("plot_training", family: family, [Parameter("log", .host(TrainingLogObject.scriptType)),
                                            .keyword("log_scale", .bool, default: .bool(false)), titleParameter],
          returns: "figure", summary: "Every loss term and the training accuracy of a training log against epochs.",
          example: DPQBindings.exampleModel + "fig = plot_training(train(m, d, epochs: 2, batch: 32))\nfig.panels") { a in
      figure(try titled(trainingFigure(a.host("log", as: TrainingLogObject.self), logScale: a.bool("log_scale")), a), a)
    }
    r.add("plot_lines", family: family,
          [Parameter("values"), .keyword("x_label", .string, default: .string("")), .keyword("y_label", .string, default: .string("")), titleParameter],
          returns: "figure", summary: "Line plots of numbers: a list or tensor, or a record of named lists (one line each).",
          example: "plot_lines({train: [0.9, 0.5, 0.3], test: [1.0, 0.7, 0.6]}, x_label: \"epoch\").panels") { a in
      var f = try linesFigure(a["values"], a, "values")
      f.panels[0].x.label = try a.string("x_label")
      f.panels[0].y.label = try a.string("y_label")
      return figure(try titled(f, a), a)
    }
  }

  // MARK: retrieval quality

  /// mAP against bits for evaluations, comparisons, experiments, or a list of them.
  static func mapFigure(_ value: Value, _ a: Arguments) throws -> Figure {
    var methods: [(method: String, bits: [Int], map: [Double])] = []
    func add(_ v: Value) throws {
      switch v {
      case .host(let e as EvaluationObject): methods.append(mapSeries(e.evaluation))
      case .host(let c as ComparisonObject): methods += c.evaluations.map(mapSeries)
      case .host(let x as ExperimentObject):
        for row in x.result.rows {
          let bits = x.result.bits.filter { row.map[$0] != nil }
          methods.append((row.method, bits, bits.map { row.map[$0] ?? 0 }))
        }
      case .list(let l): for item in l.items { try add(item) }
      default: throw a.badArgument("x", "evaluations, a comparison or an experiment expected, got \(v.typeName)")
      }
    }
    try add(value)
    // the same method twice (two evaluations of unnamed indexes) gets numbered names
    var seen: [String: Int] = [:]
    for i in methods.indices {
      let name = methods[i].method.isEmpty ? "index" : methods[i].method
      seen[name, default: 0] += 1
      methods[i].method = seen[name]! > 1 ? "\(name) \(seen[name]!)" : name
    }
    return try Figure.mapByCodeLength(methods)
  }

  static func mapSeries(_ e: Evaluation) -> (method: String, bits: [Int], map: [Double]) {
    (e.method, e.codeLengths.map { Int($0.bits.rounded()) }, e.codeLengths.map(\.meanAveragePrecision))
  }

  static func registerRetrieval(into r: inout BuiltinRegistry) {
    let ex = EvaluationBindings.example + "ev = evaluate(ix, d)\n"
    r.add("plot_map", family: family, [Parameter("evaluations"), titleParameter], returns: "figure",
          summary: "mAP against code length, one line per method (evaluations, a comparison or an experiment).",
          example: ex + "plot_map([ev]).panels") { a in
      figure(try titled(mapFigure(a["evaluations"], a), a), a)
    }
    r.add("plot_pr", family: family, [Parameter("curves"), .keyword("interpolated", .bool, default: .bool(false)), titleParameter],
          returns: "figure", summary: "Precision-recall curves of evaluations (every code length) or of ev.pr_curve.",
          doc: "`interpolated: true` draws the 11-point interpolated curves.",
          example: ex + "plot_pr(ev).panels") { a in
      let interpolated = try a.bool("interpolated")
      var curves: [PRCurve] = []
      func add(_ v: Value) throws {
        switch v {
        case .host(let p as PRCurvesObject): curves += p.curves
        case .host(let e as EvaluationObject): curves += e.prCurves(interpolated: interpolated)
        case .host(let c as ComparisonObject): curves += c.evaluations.flatMap { EvaluationObject($0).prCurves(interpolated: interpolated) }
        case .list(let l): for item in l.items { try add(item) }
        default: throw a.badArgument("curves", "evaluations or PR curves expected, got \(v.typeName)")
        }
      }
      try add(a["curves"])
      return figure(try titled(Figure.precisionRecall(curves), a), a)
    }
    r.add("plot_precision_at", family: family, [Parameter("evaluations"), .keyword("log_scale", .bool, default: .bool(false)), titleParameter],
          returns: "figure", summary: "Precision of the top N results against N, per method and code length.",
          example: ex + "plot_precision_at(ev, log_scale: true).panels") { a in
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
    r.add("plot_retrieval", family: family,
          [Parameter("index", .host(IndexObject.scriptType)), Parameter("queries", DataBindings.datasetType),
           Parameter("query_ids", default: .items([.int(0), .int(1), .int(2)])), .keyword("k", .integer, default: .number(8)),
           .keyword("blocks", .optional(.integer), default: .nilValue), titleParameter],
          returns: "figure", summary: "Query images and their top-k results, framed green when relevant and red when not.",
          doc: "The index must have been built from a dataset of images (it keeps them); `queries` is a dataset of images, `query_ids` picks up to 20 of them.",
          example: "# ix = model.index(split.database); plot_retrieval(ix, split.query, [0, 1, 2], k: 8)\nhelp(\"plot_retrieval\")") { a in
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
      return figure(try titled(Figure.retrievalGrid(queries: chosen.features, database: items.features, ranking: ranking,
                                                    relevant: relevant), a), a)
    }
  }

  // MARK: codebooks and projections

  /// Codeword counts per block from a model or quantizer encoding data, or from codes.
  static func usageCounts(_ source: Value, data: Value, _ a: Arguments) throws -> [[Int]] {
    switch source {
    case .host(let c as CodesObject): return DPQBindings.counts(c.codes)
    case .host(let m as ModelObject):
      guard !data.isNil else { throw a.badArgument("data", "data to encode is needed to count codeword usage") }
      return DPQBindings.counts(try m.model.encode(features: DPQBindings.features(m, data, a, "data")))
    case .host(let q as QuantizerObject):
      guard !data.isNil else { throw a.badArgument("data", "data to encode is needed to count codeword usage") }
      return DPQBindings.counts(try q.quantizer.encode(QuantizerBindings.vectors(data, a, "data")))
    default: throw a.badArgument("source", "a model, quantizer or codes expected, got \(source.typeName)")
    }
  }

  /// Relative distortion after 1..M blocks of a model or quantizer on data.
  static func distortions(_ source: Value, data: Value, _ a: Arguments) throws -> (name: String, values: [Double]) {
    switch source {
    case .host(let m as ModelObject):
      return ("DPQ", try m.model.relativeDistortion(features: DPQBindings.features(m, data, a, "data")).map(Double.init))
    case .host(let q as QuantizerObject):
      let x = try QuantizerBindings.vectors(data, a, "data")
      let index = try Index(quantizer: q.quantizer, codes: q.quantizer.encode(x))
      let total = x.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
      let values = try (1...q.quantizer.blockCount).map { b -> Double in
        let y = try index.reconstruct(items: Array(0..<x.shape[0]), blocks: b).scalars
        var err = 0.0
        x.withUnsafeBufferPointer { xp in for i in 0..<y.count { let e = Double(xp[i] - y[i]); err += e * e } }
        return total > 0 ? err / total : 0
      }
      return (q.quantizer.name, values)
    default: throw a.badArgument("sources", "models or quantizers expected, got \(source.typeName)")
    }
  }

  static func registerCodebooks(into r: inout BuiltinRegistry) {
    let ex = DPQBindings.exampleModel
    r.add("plot_usage", family: family,
          [Parameter("source"), Parameter("data", default: .nilValue), .keyword("sorted", .bool, default: .bool(false)),
           .keyword("overlaid", .bool, default: .bool(false)), titleParameter],
          returns: "figure", summary: "How often each codeword is used, per block, by a model or quantizer encoding data (or by codes).",
          doc: "`sorted: true` orders codewords from most to least used (dead codewords show as a flat tail); `overlaid: true` draws all blocks on one plot.",
          example: ex + "plot_usage(m, d, sorted: true).panels") { a in
      let counts = try usageCounts(a["source"], data: a["data"], a)
      return figure(try titled(Figure.codewordUsage(counts, layout: a.bool("overlaid") ? .overlaid : .panels, sortedByCount: a.bool("sorted")), a), a)
    }
    r.add("plot_distortion", family: family,
          [Parameter("sources"), Parameter("data"), .keyword("lines", .bool, default: .bool(false)), titleParameter],
          returns: "figure", summary: "Relative distortion after 1..M blocks for a model, a quantizer, or a list of them, on the same data.",
          example: ex + "plot_distortion([m, rq(m.features(d), blocks: 2, codewords: 4)], d).panels") { a in
      var series: [(name: String, values: [Double])] = []
      if case .list(let l) = a["sources"] {
        for item in l.items {
          // quantizers work on vectors: give them the model's features when the list holds a model
          var data = a["data"]
          if case .host(is QuantizerObject) = item, case .host(let d as DatasetObject) = data,
             let model = l.items.lazy.compactMap({ v -> ModelObject? in if case .host(let m as ModelObject) = v { return m } else { return nil } }).first {
            data = .tensor(try model.model.extractFeatures(d.data.features, shouldStop: a.shouldStop))
            try a.stopIfRequested()
          }
          series.append(try distortions(item, data: data, a))
        }
      } else {
        series.append(try distortions(a["sources"], data: a["data"], a))
      }
      return figure(try titled(Figure.blockDistortion(series, style: a.bool("lines") ? .lines : .bars,
                                                      yLabel: "relative distortion ||x - x^||^2 / ||x||^2"), a), a)
    }
    r.add("plot_projection", family: family,
          [Parameter("source"), Parameter("data", DataBindings.datasetType), .keyword("method", .string, default: .string("pca")),
           .keyword("bits", .list, default: .items([])), .keyword("limit", .integer, default: .number(1000)),
           .keyword("perplexity", .number, default: .number(30)), .keyword("iterations", .integer, default: .number(1000)),
           .keyword("seed", .integer, default: .number(0)), titleParameter],
          returns: "figure", summary: "A 2-D projection (PCA or t-SNE) of a model's features, and of their reconstructions at `bits:`, coloured by class.",
          doc: "`source` is a model (its features of the data) or nil (the data's own vectors). At most `limit` items are drawn (the first ones).",
          example: ex + "plot_projection(m, d, bits: [2, 4]).panels") { a in
      let all = try a.host("data", as: DatasetObject.self).data
      let data = all.count > (try a.positive("limit")) ? try all.subset(Array(0..<(try a.positive("limit")))) : all
      var features: Tensor
      var reconstructions: [(bits: Int, values: Tensor)] = []
      switch a["source"] {
      case .host(let m as ModelObject):
        features = try m.model.extractFeatures(data.features, shouldStop: a.shouldStop)
        try a.stopIfRequested()
        let codes = try m.model.encode(features: features)
        for b in try a.integers("bits") {
          let blocks = Double(b) / Double(m.model.configuration.bits(blocks: 1))
          guard blocks == blocks.rounded(), blocks >= 1, Int(blocks) <= m.model.blockCount else {
            throw a.badArgument("bits", "\(b) bits is not a whole number of blocks of \(m.model.configuration.bits(blocks: 1)) bits")
          }
          reconstructions.append((b, try m.model.decode(codes, blocks: Int(blocks))))
        }
      case .nilValue:
        features = try data.features.reshaped([data.count, data.itemSize])
      default: throw a.badArgument("source", "a model or nil expected, got \(a["source"].typeName)")
      }
      let method: ProjectionMethod
      switch try a.choice("method", ["pca", "tsne"]) {
      case "tsne":
        var o = TSNEOptions()
        o.perplexity = try a.number("perplexity")
        o.iterations = try a.integer("iterations")
        o.seed = try a.seed()
        method = .tsne(o)
      default: method = .pca
      }
      return figure(try titled(Figure.projection(features: features, reconstructions: reconstructions, labels: data.labels.map { max($0, 0) },
                                                 classNames: data.classNames, method: method), a), a)
    }
  }

  // MARK: figures and files

  static func registerFigureMembers(into r: inout BuiltinRegistry) {
    let ex = "fig = plot([1, 4, 9], title: \"squares\")\n"
    r.add("save", family: family, [Parameter("value"), Parameter("path", .string)], returns: "nil",
          summary: "Writes a value to a file by its type: a figure as .png, .svg or .txt; a model, index or quantizer; a tensor as .npy or .fvecs.",
          doc: "Figures need gnuplot; without it the error says how to install it.",
          example: "save(randn([2, 2], seed: 1), \"/tmp/dpq-example-save.npy\")\n# save(plot([1, 2, 3]), \"line.png\")") { a in
      let path = try a.string("path")
      switch a["value"] {
      case .host(let f as FigureObject): try f.settings.renderer.save(f.figure, to: path)
      case .host(let m as ModelObject): try m.model.save(to: path)
      case .host(let ix as IndexObject): try ix.index.save(to: path)
      case .host(is QuantizerObject):
        return try a.interpreter.call(.method(BoundMethod(receiver: a["value"], name: "save")), [.string(path)], at: a.location)
      case .tensor(let t):
        if path.lowercased().hasSuffix(".fvecs") { try Vecs.writeFvecs(t, to: path) } else { try NPY.write(t, to: path) }
      default:
        throw a.badArgument("value", "figure, model, index, quantizer or tensor expected, got \(a["value"].typeName)")
      }
      return .nilValue
    }
    r.method("save", of: FigureObject.self, family: family, [Parameter("path", .string)], returns: "nil",
             summary: "Writes the figure as PNG, SVG or text art (.txt), chosen by the file name.",
             example: ex + "# fig.save(\"squares.svg\")\nfig.title") { f, a in
      try f.settings.renderer.save(f.figure, to: a.string("path"))
      return .nilValue
    }
    r.method("text", of: FigureObject.self, family: family,
             [.keyword("columns", .integer, default: .number(80)), .keyword("rows", .integer, default: .number(24))],
             returns: "string", summary: "The figure drawn as text art of the given size (gnuplot's dumb terminal).",
             example: ex + "# print(fig.text(columns: 60, rows: 20))\nfig.title") { f, a in
      .string(try f.settings.renderer.render(f.figure, to: .terminal(columns: a.positive("columns"), rows: a.positive("rows"))))
    }
    r.method("script", of: FigureObject.self, family: family, returns: "string",
             summary: "The gnuplot script that draws the figure (to a PNG named figure.png), without running gnuplot.",
             example: ex + "fig.script().starts_with(\"#\") or true") { f, _ in
      .string(try f.figure.gnuplotScript(terminal: .png(width: f.figure.width, height: f.figure.height), output: "figure.png",
                                         dataDirectory: "data").text)
    }
    r.property("title", of: FigureObject.self, family: family, returns: "string",
               summary: "The figure's title (settable; so are width and height, in pixels).", example: ex + "fig.title = \"n^2\"\nfig.title") {
      .string($0.figure.title)
    }
    r.property("panels", of: FigureObject.self, family: family, returns: "number", summary: "The number of panels.",
               example: ex + "fig.panels") { .int($0.figure.panels.count) }
    r.property("series", of: FigureObject.self, family: family, returns: "list",
               summary: "The titles of the series drawn, panel by panel.", example: ex + "fig.series") { f in
      .strings(f.figure.panels.flatMap { $0.series.map(\.title) })
    }
    r.property("width", of: FigureObject.self, family: family, returns: "number", summary: "Image width in pixels (settable).",
               example: ex + "fig.width = 1200\nfig.width") { .int($0.figure.width) }
    r.property("height", of: FigureObject.self, family: family, returns: "number", summary: "Image height in pixels (settable).",
               example: ex + "fig.height") { .int($0.figure.height) }
    r.add("plot_settings", family: family,
          [.keyword("gnuplot", .optional(.string), default: .nilValue), .keyword("display", .optional(.string), default: .nilValue),
           .keyword("columns", .optional(.integer), default: .nilValue), .keyword("rows", .optional(.integer), default: .nilValue)],
          returns: "record", summary: "Changes how this session draws figures and returns the settings in force.",
          doc: "`gnuplot:` the executable (default: $DPQ_GNUPLOT or gnuplot on PATH); `display:` how printing a figure shows it: \"text\" (text art, `columns` x `rows`, default the terminal's size), \"sixel\" or \"summary\" (one line).",
          example: "plot_settings(display: \"summary\")\nplot([1, 2])") { a in
      let s = a.interpreter.bindingSettings
      if a.has("gnuplot") { s.renderer.executable = try a.string("gnuplot") }
      if a.has("display") || a.has("columns") || a.has("rows") {
        let current: String
        switch s.figureDisplay {
        case .text: current = "text"
        case .sixel: current = "sixel"
        case .summary: current = "summary"
        }
        let display = a.has("display") ? try a.choice("display", ["text", "sixel", "summary"]) : current
        switch display {
        case "sixel": s.figureDisplay = .sixel
        case "summary": s.figureDisplay = .summary
        default: s.figureDisplay = .text(columns: try a.optionalInteger("columns"), rows: try a.optionalInteger("rows"))
        }
      }
      var fields: [(String, Value)] = [("gnuplot", .string(s.renderer.executable ?? GnuplotSession.defaultExecutable()))]
      switch s.figureDisplay {
      case let .text(c, r):
        fields += [("display", .string("text")), ("columns", c.map { .int($0) } ?? .nilValue), ("rows", r.map { .int($0) } ?? .nilValue)]
      case .sixel: fields.append(("display", .string("sixel")))
      case .summary: fields.append(("display", .string("summary")))
      }
      return .fields(fields)
    }
  }
}
