import Foundation

/// A notebook: a plain script split into cells by `# %%` lines (jupytext's "percent" format).
///
/// `# %% [markdown]` (or `[md]`) starts a prose cell whose lines are comments (`# ` is
/// stripped); any other `# %%` line starts a code cell, and text after `%%` is its title. Lines
/// before the first marker form a code cell when they hold anything but blanks.
public struct Notebook: Equatable {
  public struct Cell: Equatable {
    public enum Kind: Equatable { case code, markdown }

    public var kind: Kind
    /// The text after `# %%` without the `[markdown]` tag, trimmed.
    public var title: String
    /// The code, or the prose without its comment markers; no leading or trailing blank lines.
    public var source: String
    /// The line of the file the source starts on (1-based), so diagnostics point into the file.
    public var firstLine: Int
    /// The name diagnostics give the cell's code; nil for the notebook's file (an .ipynb cell
    /// is `FILE.ipynb:cell N`, its lines counted from 1).
    public var file: String?

    public init(kind: Kind, title: String = "", source: String, firstLine: Int) {
      self.kind = kind
      self.title = title
      self.source = source
      self.firstLine = firstLine
    }
  }

  public var cells: [Cell]

  public init(cells: [Cell]) { self.cells = cells }

  /// Splits `text` into cells; code cells with nothing but blanks are dropped.
  public init(parsing text: String) {
    var cells: [Cell] = []
    var kind = Cell.Kind.code
    var title = ""
    var body: [Substring] = []
    var bodyStart = 1

    func finish() {
      var lines = kind == .markdown ? body.map { Substring(Notebook.uncomment($0)) } : body
      var first = bodyStart
      while let l = lines.first, l.allSatisfy(\.isWhitespace) {
        lines.removeFirst()
        first += 1
      }
      while let l = lines.last, l.allSatisfy(\.isWhitespace) { lines.removeLast() }
      if kind == .markdown {
        cells.append(Cell(kind: .markdown, title: title, source: lines.joined(separator: "\n"), firstLine: first))
      } else if !lines.isEmpty {
        cells.append(Cell(kind: .code, title: title, source: lines.joined(separator: "\n"), firstLine: first))
      }
    }

    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    for (i, raw) in lines.enumerated() {
      let line = raw.last == "\r" ? raw.dropLast() : raw
      if let header = Notebook.cellHeader(line) {
        finish()
        kind = header.kind
        title = header.title
        body = []
        bodyStart = i + 2
      } else {
        body.append(line)
      }
    }
    if text.hasSuffix("\n"), body.last?.isEmpty == true { body.removeLast() }
    finish()
    self.cells = cells
  }

  /// The kind and title of a `# %%` line, or nil for any other line.
  static func cellHeader(_ line: Substring) -> (kind: Cell.Kind, title: String)? {
    guard line.hasPrefix("# %%") else { return nil }
    var rest = String(line.dropFirst(4))
    guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
    var kind = Cell.Kind.code
    for tag in ["[markdown]", "[md]"] where rest.contains(tag) {
      kind = .markdown
      rest = rest.replacingOccurrences(of: tag, with: "")
    }
    return (kind, rest.trimmingCharacters(in: .whitespaces))
  }

  /// A prose line without its comment marker: `# text` -> `text`, `#` -> empty.
  static func uncomment(_ line: Substring) -> String {
    if line.hasPrefix("# ") { return String(line.dropFirst(2)) }
    if line == "#" { return "" }
    return String(line)
  }
}
