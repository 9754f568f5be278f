import Foundation

/// The text/html form of a value whose text holds dpq's aligned tables (an evaluation's mAP
/// table, a comparison, an experiment): each table becomes an HTML `<table>`, the lines around it
/// stay preformatted text. The HTML is derived from the text dpq prints, so the two cannot
/// disagree.
///
/// A table is what `Format.table` writes: a header line, a rule of dashes exactly as wide as the
/// header, then rows whose cells are separated by two or more spaces, up to a blank line or a
/// line that does not split into the header's number of cells.
enum HTMLTable {
  /// The HTML for `text`, or nil when it holds no table.
  static func html(for text: String) -> String? {
    let lines = text.components(separatedBy: "\n")
    var parts: [String] = []
    var prose: [String] = []
    var foundTable = false
    var i = 0
    func flushProse() {
      while prose.last?.isEmpty == true { prose.removeLast() }
      if !prose.isEmpty { parts.append("<pre>" + escape(prose.joined(separator: "\n")) + "</pre>") }
      prose = []
    }
    while i < lines.count {
      let header = cells(lines[i])
      if i + 1 < lines.count, header.count >= 2, isRule(lines[i + 1], width: lines[i].count) {
        var rows: [[String]] = []
        var j = i + 2
        while j < lines.count {
          let row = cells(lines[j])
          guard !lines[j].isEmpty, row.count == header.count else { break }
          rows.append(row)
          j += 1
        }
        flushProse()
        parts.append(table(header: header, rows: rows))
        foundTable = true
        i = j
        continue
      }
      prose.append(lines[i])
      i += 1
    }
    flushProse()
    return foundTable ? parts.joined(separator: "\n") : nil
  }

  /// A line's cells: the runs of text between two or more spaces.
  static func cells(_ line: String) -> [String] {
    line.components(separatedBy: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }

  static func isRule(_ line: String, width: Int) -> Bool {
    line.count == width && line.count >= 3 && line.allSatisfy { $0 == "-" }
  }

  static func table(header: [String], rows: [[String]]) -> String {
    let head = "<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
    let body = rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }
    return "<table>\n<thead>\(head)</thead>\n<tbody>\n" + body.joined(separator: "\n") + "\n</tbody>\n</table>"
  }

  static func escape(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
