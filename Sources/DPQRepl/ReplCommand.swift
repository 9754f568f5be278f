import Foundation

/// A REPL entry that the REPL handles itself instead of running it as code: `:help`, `?name`,
/// `:vars`, `:time EXPR`, `:load FILE`, `:reset`, `:quit`.
public enum ReplCommand: Equatable, Sendable {
  /// `:help` (nil) or `:help name`, `?name`.
  case help(String?)
  case vars
  case time(String)
  case load(String)
  case reset
  case quit
  /// `:something` that is not a command, or a command missing its argument.
  case invalid(String)

  /// The command names, for completion and `:help`.
  public static let names = [":help", ":load", ":quit", ":reset", ":time", ":vars"]

  /// The command an entry spells, or nil when the entry is code.
  public static func parse(_ entry: String) -> ReplCommand? {
    let text = entry.trimmingCharacters(in: .whitespacesAndNewlines)
    if text.hasPrefix("?") {
      let name = text.dropFirst().trimmingCharacters(in: .whitespaces)
      return .help(name.isEmpty ? nil : name)
    }
    guard text.hasPrefix(":") else { return nil }
    let name: Substring
    let argument: String
    if let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) {
      name = text[..<space]
      argument = text[space...].trimmingCharacters(in: .whitespaces)
    } else {
      name = Substring(text)
      argument = ""
    }
    switch name {
    case ":help", ":h": return .help(argument.isEmpty ? nil : argument)
    case ":vars": return argument.isEmpty ? .vars : .invalid(":vars takes no argument")
    case ":time":
      return argument.isEmpty ? .invalid(":time needs an expression, e.g. :time sum(range(1000))") : .time(argument)
    case ":load":
      return argument.isEmpty ? .invalid(":load needs a file name, e.g. :load train.dpq") : .load(unquoted(argument))
    case ":reset": return .reset
    case ":quit", ":q", ":exit": return .quit
    default:
      let hint = NameSuggestion.closest(to: String(name), among: names).map { "; did you mean \($0)?" } ?? ""
      return .invalid("unknown command \(name)\(hint) (:help lists the commands)")
    }
  }

  /// `"a b.dpq"` or `'a.dpq'` without the quotes; anything else unchanged.
  static func unquoted(_ s: String) -> String {
    guard s.count >= 2, let first = s.first, first == "\"" || first == "'", s.last == first else { return s }
    return String(s.dropFirst().dropLast())
  }
}

/// The closest name by edit distance, for "did you mean" hints.
enum NameSuggestion {
  static func closest(to word: String, among names: [String]) -> String? {
    let scored = names.map { ($0, distance(word, $0)) }.filter { $0.1 <= max(2, word.count / 3) }
    return scored.min { $0.1 < $1.1 }?.0
  }

  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + [Int](repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}
