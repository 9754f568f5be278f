import Foundation

@testable import DPQBindings
@testable import DPQLanguage

/// Collects everything a script writes.
/// Thread-safe: a stop poll (`@Sendable`, it may run on a library's worker) reads it.
final class CapturingSink: OutputSink, @unchecked Sendable {
  private let lock = NSLock()
  private var buffer = ""
  var text: String {
    get { lock.withLock { buffer } }
    set { lock.withLock { buffer = newValue } }
  }
  func write(_ s: String) { lock.withLock { buffer += s } }
  var lines: [String] {
    var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if parts.last == "" { parts.removeLast() }
    return parts
  }
}

/// Runs a golden script and compares it with its `# expect: output` and
/// `# expect error: [line:col: ]message` comments.
///
/// A file may be split into independent chunks by `# ---` lines; each chunk runs in a fresh
/// session (line numbers stay those of the file), so one file can test several errors.
struct GoldenRunner {
  struct Expectations {
    var output: [String] = []
    var errors: [(line: Int?, column: Int?, message: String)] = []
  }

  /// Problems found, empty when the file passes.
  static func check(file url: URL) throws -> [String] {
    let source = try String(contentsOf: url, encoding: .utf8)
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    var chunks: [[Int]] = [[]]
    for (i, line) in lines.enumerated() {
      if line.trimmingCharacters(in: .whitespaces) == "# ---" {
        chunks.append([])
      } else {
        chunks[chunks.count - 1].append(i)
      }
    }
    var problems: [String] = []
    for (n, chunk) in chunks.enumerated() where !chunk.isEmpty {
      let included = Set(chunk)
      let padded = lines.indices.map { included.contains($0) ? lines[$0] : "" }.joined(separator: "\n")
      var expected = expectations(chunk.map { ($0 + 1, lines[$0].replacingOccurrences(of: "{file}", with: url.path)) })
      let dir = url.deletingLastPathComponent().path
      expected.errors = expected.errors.map {
        ($0.line, $0.column, $0.message.replacingOccurrences(of: "{dir}", with: dir))
      }
      problems += run(padded, file: url.path, expected: expected).map { "chunk \(n + 1): \($0)" }
    }
    return problems
  }

  static func expectations(_ lines: [(Int, String)]) -> Expectations {
    var e = Expectations()
    for (number, line) in lines {
      if let r = line.range(of: "# expect error: ") {
        var message = String(line[r.upperBound...])
        var lineNumber: Int? = nil
        var column: Int? = nil
        let parts = message.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        // `12:7: message`, or `:7: message` for column 7 of the comment's own line
        if parts.count == 3, let c = Int(parts[1]), let l = parts[0].isEmpty ? number : Int(parts[0]) {
          lineNumber = l
          column = c
          message = String(parts[2].dropFirst())
        }
        e.errors.append((lineNumber, column, message))
      } else if let r = line.range(of: "# expect: ") {
        e.output.append(String(line[r.upperBound...]))
      } else if line.hasSuffix("# expect:") {
        e.output.append("")
      }
    }
    return e
  }

  static func run(_ source: String, file: String, expected: Expectations) -> [String] {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    session.stepLimit = 5_000_000
    let result = session.run(source: source, file: file)
    var problems: [String] = []
    let got = sink.lines
    for i in 0..<max(got.count, expected.output.count) {
      let g = i < got.count ? got[i] : "<nothing>"
      let x = i < expected.output.count ? expected.output[i] : "<nothing>"
      if g != x { problems.append("output line \(i + 1): expected \"\(x)\", got \"\(g)\"") }
    }
    let diagnostics: [Diagnostic]
    switch result {
    case .success: diagnostics = []
    case .failure(let error): diagnostics = error.diagnostics
    }
    for i in 0..<max(diagnostics.count, expected.errors.count) {
      guard i < expected.errors.count else {
        problems.append("unexpected error: \(diagnostics[i])")
        continue
      }
      let x = expected.errors[i]
      guard i < diagnostics.count else {
        problems.append("expected error \"\(x.message)\" was not raised")
        continue
      }
      let d = diagnostics[i]
      if d.message != x.message {
        problems.append("error \(i + 1): expected \"\(x.message)\", got \"\(d.message)\" at \(d.location)")
      }
      if let l = x.line, let c = x.column, (d.location.line, d.location.column) != (l, c) {
        problems.append(
          "error \(i + 1) \"\(d.message)\": expected at \(l):\(c), got \(d.location.line):\(d.location.column)")
      }
    }
    return problems
  }
}

/// Counts the polls of a stop request (thread-safe, as polls are `@Sendable`).
final class PollCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var polls = 0

  /// Adds one poll and returns how many there have been.
  func poll() -> Int {
    lock.withLock {
      polls += 1
      return polls
    }
  }
}
