import Foundation

/// Where gnuplot draws: a text block, sixel graphics, or an image file.
public enum GnuplotTerminal: Equatable, Sendable {
  /// Text art, `columns` x `rows` characters.
  case dumb(columns: Int, rows: Int)
  /// Sixel graphics for terminals that show them, in pixels.
  case sixel(width: Int, height: Int)
  /// PNG in pixels, drawn by cairo when this gnuplot has it, else by libgd.
  case png(width: Int, height: Int)
  /// SVG in pixels.
  case svg(width: Int, height: Int)
}

/// A data file a script reads: its name inside the data directory, its full path, and its text.
public struct DataFile: Equatable, Sendable {
  public var name: String
  public var path: String
  public var contents: String
}

/// A complete gnuplot script and the data files it reads.
public struct GnuplotScript: Equatable, Sendable {
  public var text: String
  public var dataFiles: [DataFile]
}

extension Figure {
  /// The gnuplot script that draws this figure on `terminal` into the file `output`, reading its
  /// data from files in `dataDirectory` (returned with the script, not written). A pure function:
  /// the same figure and arguments always give the same text.
  public func gnuplotScript(terminal: GnuplotTerminal, output: String, dataDirectory: String) throws -> GnuplotScript {
    try validate()
    var lines: [String] = []
    var files: [DataFile] = []
    let isText: Bool
    if case .dumb = terminal { isText = true } else { isText = false }

    lines.append("# dpq figure" + (title.isEmpty ? "" : ": " + title.replacingNewlines()))
    lines.append("set encoding utf8")
    lines.append(contentsOf: terminalCommands(terminal))
    lines.append("set output \(quote(output))")

    let multi = panels.count > 1
    // Panel width in characters, to lay out legends below a panel.
    let panelWidth: Double
    switch terminal {
    case .dumb(let columns, _): panelWidth = Double(columns) / Double(layout.columns)
    case .png(let w, _), .svg(let w, _), .sixel(let w, _):
      panelWidth = Double(w) / Double(layout.columns) / (0.62 * fontSize)
    }
    if multi {
      let (rows, columns) = layout
      var command = "set multiplot layout \(rows),\(columns)"
      if !title.isEmpty { command += " title \(quote(title))" + (isText ? "" : " font ',\(format(fontSize + 2))'") }
      lines.append(command)
    }
    for (index, panel) in panels.enumerated() {
      let dataName = "panel-\(index + 1).dat"
      let dataPath = dataDirectory.hasSuffix("/") ? dataDirectory + dataName : dataDirectory + "/" + dataName
      var panelTitle = panel.title
      if !multi && !title.isEmpty { panelTitle = panel.title.isEmpty ? title : title + ": " + panel.title }
      lines.append("")
      lines.append("# panel \(index + 1)" + (panelTitle.isEmpty ? "" : ": " + panelTitle.replacingNewlines()))
      if index > 0 { lines.append("reset") }
      var placed = panel
      // In a multiplot gnuplot 5.4 draws a legend below a panel over that panel's x label, with
      // any margin; beside the panel it stays clear.
      if multi && placed.legend == .below { placed.legend = .outsideRight }
      let (commands, data) = panelCommands(
        placed, title: panelTitle, dataPath: dataPath, isText: isText,
        panelWidth: panelWidth)
      lines.append(contentsOf: commands)
      if !data.isEmpty { files.append(DataFile(name: dataName, path: dataPath, contents: data)) }
    }
    lines.append("")
    if multi { lines.append("unset multiplot") }
    lines.append("unset output")
    return GnuplotScript(text: lines.joined(separator: "\n") + "\n", dataFiles: files)
  }

  func validate() throws {
    guard !panels.isEmpty else {
      throw PlotError.invalidArgument(function: "Figure", reason: "a figure needs at least one panel")
    }
    guard width >= 64, height >= 48, width <= 20_000, height <= 20_000 else {
      throw PlotError.invalidArgument(
        function: "Figure", reason: "size \(width)x\(height) pixels is outside 64x48 ... 20000x20000")
    }
    for (p, panel) in panels.enumerated() {
      for s in panel.series {
        let name = s.title.isEmpty ? "series" : "series '\(s.title)'"
        switch s.style {
        case .image:
          guard s.x.count == 1, s.y.count == 1 else {
            throw PlotError.invalidArgument(
              function: "Figure", reason: "panel \(p + 1): image \(name) needs one x and one y (its lower-left corner)")
          }
        case .text(let texts):
          guard texts.count == s.x.count, s.x.count == s.y.count else {
            throw PlotError.invalidArgument(
              function: "Figure",
              reason: "panel \(p + 1): \(name) has \(s.x.count) x, \(s.y.count) y and \(texts.count) texts")
          }
        case .labelledPoints(let labels, _):
          guard labels.count == s.x.count, s.x.count == s.y.count else {
            throw PlotError.invalidArgument(
              function: "Figure",
              reason: "panel \(p + 1): \(name) has \(s.x.count) x, \(s.y.count) y and \(labels.count) labels")
          }
        default:
          guard s.x.count == s.y.count else {
            throw PlotError.invalidArgument(
              function: "Figure", reason: "panel \(p + 1): \(name) has \(s.x.count) x values but \(s.y.count) y values")
          }
        }
        if s.onSecondYAxis && panel.y2 == nil {
          throw PlotError.invalidArgument(
            function: "Figure", reason: "panel \(p + 1): \(name) is on the second y axis but the panel has none")
        }
      }
      for axis in [panel.x, panel.y] + (panel.y2.map { [$0] } ?? []) {
        if let b = axis.logBase, b < 2 {
          throw PlotError.invalidArgument(function: "Figure", reason: "panel \(p + 1): log base \(b) must be 2 or more")
        }
      }
    }
  }

  func terminalCommands(_ terminal: GnuplotTerminal) -> [String] {
    let font = "font 'Sans,\(format(fontSize))'"
    switch terminal {
    case .dumb(let columns, let rows):
      return ["set terminal dumb size \(max(columns, 20)),\(max(rows, 8)) noenhanced"]
    case .sixel(let width, let height):
      return ["set terminal sixelgd size \(width),\(height) truecolor noenhanced \(font)"]
    case .png(let width, let height):
      // pngcairo draws anti-aliased text and lines; plain png (libgd) is the fallback in builds without cairo.
      return [
        "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {",
        "  set terminal pngcairo size \(width),\(height) noenhanced \(font) background rgb 'white'",
        "} else {",
        "  set terminal png size \(width),\(height) truecolor noenhanced \(font) background rgb 'white'",
        "}",
      ]
    case .svg(let width, let height):
      return ["set terminal svg size \(width),\(height) noenhanced \(font) background rgb 'white'"]
    }
  }

  func panelCommands(
    _ panel: Panel, title: String, dataPath: String, isText: Bool,
    panelWidth: Double
  ) -> (commands: [String], data: String) {
    var c: [String] = []
    if !isText {
      c.append("set style fill solid 1 noborder")
      if panel.grid && panel.showsAxes {
        // Through a line style: `set grid ... dt 1` alone keeps gnuplot's dotted axis line type.
        c.append("set style line 100 lc rgb '#dddddd' lw 1 dt 1")
        c.append("set grid back ls 100")
      }
    }
    c.append("set title \(quote(title))" + (isText ? "" : " font ',\(format(fontSize + 1))'"))
    if panel.showsAxes {
      c.append(contentsOf: axisCommands(panel.x, name: "x"))
      c.append(contentsOf: axisCommands(panel.y, name: "y", isText: isText))
      if let y2 = panel.y2 {
        c.append("set ytics nomirror")
        c.append("set y2tics")
        c.append(contentsOf: axisCommands(y2, name: "y2", isText: isText))
      }
    } else {
      c.append("set margins 1,1,1,\(title.isEmpty ? 1 : 3)")
      c.append("unset border")
      c.append("unset xtics")
      c.append("unset ytics")
      c.append(contentsOf: rangeCommands(panel.x, name: "x") + rangeCommands(panel.y, name: "y"))
    }
    if panel.equalAspect { c.append("set size ratio -1") }
    c.append(
      contentsOf: legendCommands(panel.legend, isText: isText, entries: legendEntries(panel), panelWidth: panelWidth))
    for (i, r) in panel.rectangles.enumerated() {
      c.append(
        "set object \(i + 1) rectangle from \(format(r.x0)),\(format(r.y0)) to \(format(r.x1)),\(format(r.y1)) front fillstyle empty border lc rgb '\(r.color.hex)' lw \(format(r.lineWidth))"
      )
    }
    for (i, l) in panel.labels.enumerated() {
      let color = l.color.map { " tc rgb '\($0.hex)'" } ?? ""
      c.append("set label \(i + 1) \(quote(l.text)) at \(format(l.x)),\(format(l.y)) center front\(color)")
    }

    var data = DataText()
    var clauses: [String] = []
    var nextColor = 0
    func color(_ s: Series) -> Color {
      if let c = s.color { return c }
      defer { nextColor += 1 }
      return Palette.category(nextColor)
    }
    for s in panel.series {
      let axes = s.onSecondYAxis ? " axes x1y2" : ""
      let titled = s.title.isEmpty ? "notitle" : "title \(quote(s.title))"
      switch s.style {
      case .lines, .linesPoints, .points:
        let block = data.appendBlock(columns: [s.x, s.y])
        let lc = "lc rgb '\(color(s).hex)'"
        let look: String
        switch s.style {
        case .lines: look = "with lines lw \(format(s.lineWidth)) dt \(s.dashType) \(lc)"
        case .linesPoints:
          look =
            "with linespoints lw \(format(s.lineWidth)) dt \(s.dashType) pt \(s.pointType) ps \(format(s.pointSize)) \(lc)"
        default: look = "with points pt \(s.pointType) ps \(format(s.pointSize)) \(lc)"
        }
        clauses.append("\(source(dataPath, block)) using 1:2\(axes) \(look) \(titled)")
      case .boxes(let width, let opacity):
        let block = data.appendBlock(columns: [s.x, s.y])
        let hex = color(s).hex
        let fill =
          opacity < 1 ? "fs transparent solid \(format(opacity)) border lc rgb '\(hex)'" : "fs solid 1 noborder"
        clauses.append(
          "\(source(dataPath, block)) using 1:2:(\(format(width)))\(axes) with boxes \(fill) lc rgb '\(hex)' \(titled)")
      case .text(let texts):
        let block = data.appendBlock(columns: [s.x, s.y], texts: texts)
        let tc = s.color.map { " tc rgb '\($0.hex)'" } ?? ""
        clauses.append("\(source(dataPath, block)) using 1:2:3\(axes) with labels center offset 0,0.7\(tc) \(titled)")
      case .labelledPoints(let labels, let names):
        for label in Set(labels).sorted() {
          let chosen = labels.indices.filter { labels[$0] == label }
          let block = data.appendBlock(columns: [chosen.map { s.x[$0] }, chosen.map { s.y[$0] }])
          let name = label >= 0 && label < names.count ? names[label] : "class \(label)"
          // Text art has no colour: each class is drawn with its own letter instead (A, B, ...).
          let pointType = isText ? (label % 26) + 1 : s.pointType
          clauses.append(
            "\(source(dataPath, block)) using 1:2\(axes) with points pt \(pointType) ps \(format(s.pointSize)) lc rgb '\(Palette.category(label).hex)' title \(quote(name))"
          )
        }
      case .image(let image):
        let block = data.appendImage(image, left: s.x[0], bottom: s.y[0])
        clauses.append("\(source(dataPath, block)) using 1:2:3:4:5 with rgbimage notitle")
      }
    }
    if clauses.isEmpty {
      // An empty panel still draws its axes and title: plot a function that is nowhere defined.
      clauses.append("NaN notitle")
    }
    c.append("plot " + clauses.joined(separator: ", \\\n     "))
    return (c, data.text)
  }

  func axisCommands(_ axis: Axis, name: String, isText: Bool = false) -> [String] {
    var c: [String] = []
    // Text art cannot rotate a y label, which then runs into the plot: keep only its first part.
    let label = isText && name != "x" ? shortLabel(axis.label) : axis.label
    if !label.isEmpty { c.append("set \(name)label \(quote(label))") }
    c.append(contentsOf: rangeCommands(axis, name: name))
    if let base = axis.logBase { c.append("set logscale \(name) \(base)") }
    if let tics = axis.tics {
      let items = tics.map { t in "\(quote(t.label ?? format(t.value))) \(format(t.value))" }
      c.append("set \(name)tics (" + items.joined(separator: ", ") + ")")
    }
    return c
  }

  /// "PC 2 (24% of variance)" -> "PC 2".
  func shortLabel(_ label: String) -> String {
    guard let open = label.firstIndex(of: "("), open > label.startIndex else { return label }
    return String(label[..<open]).trimmingCharacters(in: .whitespaces)
  }

  func rangeCommands(_ axis: Axis, name: String) -> [String] {
    if axis.minimum == nil && axis.maximum == nil { return [] }
    return ["set \(name)range [\(axis.minimum.map(format) ?? "*"):\(axis.maximum.map(format) ?? "*")]"]
  }

  /// The titles the legend will list, in order.
  func legendEntries(_ panel: Panel) -> [String] {
    panel.series.flatMap { s -> [String] in
      if case .labelledPoints(let labels, let names) = s.style {
        return Set(labels).sorted().map { $0 >= 0 && $0 < names.count ? names[$0] : "class \($0)" }
      }
      return s.title.isEmpty ? [] : [s.title]
    }
  }

  /// Legend placement. A legend below the plot gets an explicit column count and bottom margin:
  /// gnuplot 5.4 otherwise draws it over the x label.
  func legendCommands(_ legend: LegendPosition, isText: Bool, entries: [String], panelWidth: Double) -> [String] {
    let style = "noenhanced opaque box" + (isText ? "" : " lc rgb '#bbbbbb' samplen 2 spacing 1.1") + " Left reverse"
    if legend == .below {
      let entryWidth = Double((entries.map(\.count).max() ?? 1) + (isText ? 8 : 7))
      let columns = max(1, min(entries.count, Int(panelWidth * 0.9 / entryWidth)))
      let rows = (entries.count + columns - 1) / max(columns, 1)
      let margin = 3 + Double(rows) * (isText ? 1 : 1.1) + 0.9
      return ["set key below center horizontal maxcols \(columns) \(style)", "set bmargin \(format(margin))"]
    }
    let place: String
    switch legend {
    case .hidden: return ["unset key"]
    case .topRight: place = "top right"
    case .topLeft: place = "top left"
    case .bottomRight: place = "bottom right"
    case .bottomLeft: place = "bottom left"
    case .outsideRight: place = "outside right top vertical"
    case .below: place = "below center horizontal" // handled above
    case .center: place = "center center vertical"
    }
    // An opaque, boxed legend stays readable over the curves it names.
    return ["set key \(place) \(style)"]
  }

  func source(_ path: String, _ block: Int) -> String { "\(quote(path)) index \(block)" }
}

/// A gnuplot single-quoted string: only `'` needs escaping (doubled); newlines become spaces.
func quote(_ text: String) -> String {
  "'" + text.replacingNewlines().replacingOccurrences(of: "'", with: "''") + "'"
}

/// A number as gnuplot and data files should read it: integers without a decimal point, others
/// with the shortest text that round-trips through Float (plenty for drawing), NaN for
/// non-finite values (gnuplot skips them).
func format(_ x: Double) -> String {
  guard x.isFinite else { return "NaN" }
  if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
  return String(Float(x))
}

extension String {
  func replacingNewlines() -> String {
    replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(
      of: "\r", with: " ")
  }
}

/// Builds a data file of blocks that a script selects with `index N` (blocks are separated by
/// two blank lines, gnuplot's convention).
struct DataText {
  private(set) var text = ""
  private var blocks = 0

  mutating func appendBlock(columns: [[Double]], texts: [String]? = nil) -> Int {
    startBlock()
    let n = columns.first?.count ?? 0
    text.reserveCapacity(text.utf8.count + n * 24)
    for i in 0..<n {
      var line = ""
      for (j, column) in columns.enumerated() {
        if j > 0 { line += " " }
        line += format(column[i])
      }
      if let texts {
        // Data-file strings are double-quoted and cannot contain a double quote.
        line += " \"" + texts[i].replacingNewlines().replacingOccurrences(of: "\"", with: "'") + "\""
      }
      text += line
      text += "\n"
    }
    if n == 0 { text += "NaN NaN\n" } // keeps the block (and its index) present
    return finishBlock()
  }

  /// One `x y r g b` line per pixel (0-255), a blank line after each scan line.
  mutating func appendImage(_ image: Image, left: Double, bottom: Double) -> Int {
    startBlock()
    let w = image.width
    let h = image.height
    let ch = image.channels
    text.reserveCapacity(text.utf8.count + w * h * 20)
    image.pixels.withUnsafeBufferPointer { p in
      for row in 0..<h {
        let y = format(bottom + Double(h - 1 - row))
        for col in 0..<w {
          let base = (row * w + col) * ch
          let r = byte(p[base])
          let g = ch == 3 ? byte(p[base + 1]) : r
          let b = ch == 3 ? byte(p[base + 2]) : r
          text += "\(format(left + Double(col))) \(y) \(r) \(g) \(b)\n"
        }
        if row < h - 1 { text += "\n" }
      }
    }
    return finishBlock()
  }

  private func byte(_ v: Float) -> Int {
    guard v.isFinite else { return 0 }
    return Int((min(max(v, 0), 1) * 255).rounded())
  }

  private mutating func startBlock() {
    if blocks > 0 { text += "\n\n" }
  }

  private mutating func finishBlock() -> Int {
    blocks += 1
    return blocks - 1
  }
}
