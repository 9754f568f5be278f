import DPQBindings
import DPQLanguage

/// Plain-text tables for the REPL (`:vars`).
enum TextTable {
  /// Rows under a header and a rule of dashes, columns left-aligned and two spaces apart; the
  /// last column is not padded, so no line ends in blanks.
  static func render(header: [String], rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { c, cell in
        c == cells.count - 1 ? cell : cell + String(repeating: " ", count: widths[c] - cell.count)
      }.joined(separator: "  ")
    }
    return ([line(header), line(widths.map { String(repeating: "-", count: $0) })] + rows.map(line))
      .joined(separator: "\n")
  }

  /// `:vars`: each global's name, type and shape (tensors), length (lists) or short value.
  static func variables(_ globals: [ScriptSession.GlobalInfo]) -> String {
    guard !globals.isEmpty else { return "no variables" }
    return render(
      header: ["name", "type", "shape or value"],
      rows: globals.map { [$0.name, $0.typeName, $0.summary] })
  }
}
