import DPQData
import DPQLanguage
import DPQPlot
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// Figures as values: attributes, text art, gnuplot scripts, files, and the session's plot settings.
extension PlotBindings {
  // MARK: figures and files

  static func registerFigureMembers(into r: inout BuiltinRegistry) {
    let ex = "fig = plot([1, 4, 9], title: \"squares\")\n"
    r.add(
      "save", family: family, [Parameter("value"), Parameter("path", .string)], returns: "nil",
      summary:
        "Writes a value to a file by its type: a figure as .png, .svg or .txt; a model, index or quantizer; a tensor as .npy or .fvecs.",
      doc: "Figures need gnuplot; without it the error says how to install it.",
      example: "save(randn([2, 2], seed: 1), \"/tmp/dpq-example-save.npy\")\n# save(plot([1, 2, 3]), \"line.png\")"
    ) { a in
      let path = try a.string("path")
      switch a["value"] {
      case .host(let f as FigureObject): try f.settings.renderer.save(f.figure, to: path)
      case .host(let m as ModelObject): try m.model.save(to: path)
      case .host(let ix as IndexObject): try ix.index.save(to: path)
      case .host(is QuantizerObject):
        return try a.interpreter.call(
          .method(BoundMethod(receiver: a["value"], name: "save")), [.string(path)], at: a.location)
      case .tensor(let t):
        if path.lowercased().hasSuffix(".fvecs") {
          try Vecs.writeFvecs(t, to: path)
        } else {
          try NPY.write(t, to: path)
        }
      default:
        throw a.badArgument("value", "figure, model, index, quantizer or tensor expected, got \(a["value"].typeName)")
      }
      return .nilValue
    }
    r.method(
      "save", of: FigureObject.self, family: family, [Parameter("path", .string)], returns: "nil",
      summary: "Writes the figure as PNG, SVG or text art (.txt), chosen by the file name.",
      example: ex + "# fig.save(\"squares.svg\")\nfig.title"
    ) { f, a in
      try f.settings.renderer.save(f.figure, to: a.string("path"))
      return .nilValue
    }
    r.method(
      "text", of: FigureObject.self, family: family,
      [.keyword("columns", .integer, default: .number(80)), .keyword("rows", .integer, default: .number(24))],
      returns: "string", summary: "The figure drawn as text art of the given size (gnuplot's dumb terminal).",
      example: ex + "# print(fig.text(columns: 60, rows: 20))\nfig.title"
    ) { f, a in
      .string(
        try f.settings.renderer.render(
          f.figure, to: .terminal(columns: a.positive("columns"), rows: a.positive("rows"))))
    }
    r.method(
      "script", of: FigureObject.self, family: family, returns: "string",
      summary: "The gnuplot script that draws the figure (to a PNG named figure.png), without running gnuplot.",
      example: ex + "fig.script().starts_with(\"#\") or true"
    ) { f, _ in
      .string(
        try f.figure.gnuplotScript(
          terminal: .png(width: f.figure.width, height: f.figure.height), output: "figure.png",
          dataDirectory: "data"
        ).text)
    }
    r.property(
      "title", of: FigureObject.self, family: family, returns: "string",
      summary: "The figure's title (settable; so are width and height, in pixels).",
      example: ex + "fig.title = \"n^2\"\nfig.title"
    ) {
      .string($0.figure.title)
    }
    r.property(
      "panels", of: FigureObject.self, family: family, returns: "number", summary: "The number of panels.",
      example: ex + "fig.panels"
    ) { .int($0.figure.panels.count) }
    r.property(
      "series", of: FigureObject.self, family: family, returns: "list",
      summary: "The titles of the series drawn, panel by panel.", example: ex + "fig.series"
    ) { f in
      .strings(f.figure.panels.flatMap { $0.series.map(\.title) })
    }
    r.property(
      "width", of: FigureObject.self, family: family, returns: "number", summary: "Image width in pixels (settable).",
      example: ex + "fig.width = 1200\nfig.width"
    ) { .int($0.figure.width) }
    r.property(
      "height", of: FigureObject.self, family: family, returns: "number", summary: "Image height in pixels (settable).",
      example: ex + "fig.height"
    ) { .int($0.figure.height) }
    r.add(
      "plot_settings", family: family,
      [
        .keyword("gnuplot", .optional(.string), default: .nilValue),
        .keyword("display", .optional(.string), default: .nilValue),
        .keyword("columns", .optional(.integer), default: .nilValue),
        .keyword("rows", .optional(.integer), default: .nilValue),
      ],
      returns: "record", summary: "Changes how this session draws figures and returns the settings in force.",
      doc:
        "`gnuplot:` the executable (default: $DPQ_GNUPLOT or gnuplot on PATH); `display:` how printing a figure shows it: \"text\" (text art, `columns` x `rows`, default the terminal's size), \"sixel\" or \"summary\" (one line).",
      example: "plot_settings(display: \"summary\")\nplot([1, 2])"
    ) { a in
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
      var fields: [(String, Value)] = [
        ("gnuplot", .string(s.renderer.executable ?? GnuplotSession.defaultExecutable()))
      ]
      switch s.figureDisplay {
      case .text(let c, let r):
        fields += [
          ("display", .string("text")), ("columns", c.map { .int($0) } ?? .nilValue),
          ("rows", r.map { .int($0) } ?? .nilValue),
        ]
      case .sixel: fields.append(("display", .string("sixel")))
      case .summary: fields.append(("display", .string("summary")))
      }
      return .fields(fields)
    }
  }
}
