import DPQBindings
import DPQLanguage
import Foundation

/// Tab completion for the REPL: the session's completions (names, attributes after `.`, keyword
/// names in a call), file paths inside an open string and after `:load`, and the `:commands`.
public struct Completer {
  /// What to complete and the candidates that may replace it.
  public struct Completions: Equatable {
    /// The end of the text before the cursor that a candidate replaces.
    public var word: String
    /// Full replacements for `word`, sorted within each group.
    public var candidates: [String]

    public init(word: String, candidates: [String]) {
      self.word = word
      self.candidates = candidates
    }

    init(_ c: ScriptSession.Completions) { self.init(word: c.word, candidates: c.candidates) }
  }

  public let session: ScriptSession
  /// Where relative paths are listed from; nil for the current directory.
  public var directory: String?

  public init(session: ScriptSession, directory: String? = nil) {
    self.session = session
    self.directory = directory
  }

  /// Candidates for the text before the cursor; each replaces `word`, the end of that text.
  public func complete(_ text: String) -> Completions {
    if text.hasPrefix(":") {
      if let space = text.firstIndex(of: " ") {
        let command = String(text[..<space])
        let rest = String(text[text.index(after: space)...])
        if command == ":load" { return pathCompletions(rest) }
        if command == ":help" { return Completions(session.completions(for: rest)) }
        if command == ":time" { return complete(rest) }
        return Completions(word: "", candidates: [])
      }
      let names = ReplCommand.names.filter { $0.hasPrefix(text) }
      return Completions(word: text, candidates: names)
    }
    if text.hasPrefix("?") { return Completions(session.completions(for: String(text.dropFirst()))) }
    if let partial = Completer.openString(in: text) { return pathCompletions(partial) }
    return Completions(session.completions(for: text))
  }

  /// The contents of the string literal still open at the end of `text`, or nil when the text
  /// does not end inside a string. Comments, escapes and triple quotes are understood.
  static func openString(in text: String) -> String? {
    let scalars = Array(text.unicodeScalars)
    var i = 0
    var quote: (scalar: Unicode.Scalar, triple: Bool, start: Int)? = nil
    while i < scalars.count {
      let c = scalars[i]
      if let q = quote {
        if c == "\\" {
          i += 2
          continue
        }
        if c == q.scalar {
          if !q.triple {
            quote = nil
            i += 1
            continue
          }
          if i + 2 < scalars.count, scalars[i + 1] == q.scalar, scalars[i + 2] == q.scalar {
            quote = nil
            i += 3
            continue
          }
        }
        i += 1
        continue
      }
      if c == "#" { // a comment runs to the end of the line
        while i < scalars.count, scalars[i] != "\n" { i += 1 }
        continue
      }
      if c == "\"" || c == "'" {
        let triple = c == "\"" && i + 2 < scalars.count && scalars[i + 1] == "\"" && scalars[i + 2] == "\""
        quote = (c, triple, i + (triple ? 3 : 1))
        i += triple ? 3 : 1
        continue
      }
      i += 1
    }
    guard let q = quote else { return nil }
    return String(String.UnicodeScalarView(scalars[q.start...]))
  }

  /// Files and directories whose path starts with `partial`; directories end with `/`.
  /// Hidden entries are offered only when the name typed so far starts with `.`.
  public func pathCompletions(_ partial: String) -> Completions {
    let slash = partial.lastIndex(of: "/")
    let directoryPart = slash.map { String(partial[...$0]) } ?? ""
    let namePrefix = slash.map { String(partial[partial.index(after: $0)...]) } ?? partial
    var listed = directoryPart.isEmpty ? (directory ?? FileManager.default.currentDirectoryPath) : directoryPart
    if listed.hasPrefix("~") { listed = (listed as NSString).expandingTildeInPath }
    if !listed.hasPrefix("/"), let base = directory, !directoryPart.isEmpty {
      listed = (base as NSString).appendingPathComponent(listed)
    }
    let fileManager = FileManager.default
    let names = (try? fileManager.contentsOfDirectory(atPath: listed)) ?? []
    var candidates: [String] = []
    for name in names where name.hasPrefix(namePrefix) {
      if name.hasPrefix("."), !namePrefix.hasPrefix(".") { continue }
      var isDirectory: ObjCBool = false
      let full = (listed as NSString).appendingPathComponent(name)
      _ = fileManager.fileExists(atPath: full, isDirectory: &isDirectory)
      candidates.append(directoryPart + name + (isDirectory.boolValue ? "/" : ""))
    }
    return Completions(word: partial, candidates: candidates.sorted())
  }
}
