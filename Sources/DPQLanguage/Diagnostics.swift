/// One entry of a runtime call stack: the function that was running and where in it.
public struct StackFrame: Sendable, Equatable {
  /// `fn square`, `fn <lambda>`, `builtin sorted`, `script`.
  public var function: String
  public var location: SourceLocation

  public init(function: String, location: SourceLocation) {
    self.function = function
    self.location = location
  }
}

/// A located message about a script: a syntax error, a runtime error, or an interruption.
public struct Diagnostic: Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var location: SourceLocation
  /// The text of the offending line, when the source is known.
  public var sourceLine: String?
  /// Innermost first; empty for syntax errors.
  public var stack: [StackFrame]
  /// The parser ran out of input: a REPL should read another line instead of reporting.
  public var isEndOfInput: Bool

  public init(
    message: String, location: SourceLocation, sourceLine: String? = nil,
    stack: [StackFrame] = [], isEndOfInput: Bool = false
  ) {
    self.message = message
    self.location = location
    self.sourceLine = sourceLine
    self.stack = stack
    self.isEndOfInput = isEndOfInput
  }

  /// `file.dpq:12:7: error: message`, the source line, a caret span, and the call stack.
  public var description: String {
    var out = "\(location): error: \(message)"
    if let line = sourceLine {
      out += "\n" + line + "\n" + Diagnostic.caretLine(for: line, column: location.column, length: location.length)
    }
    for line in Diagnostic.stackLines(stack) { out += "\n" + line }
    return out
  }

  /// The call stack as `  in fn f at file:3:5` lines. A run of identical frames (recursion)
  /// shows three times and then its count; a stack still longer than `maxStackLines` keeps its
  /// innermost and outermost frames around a count of those left out.
  static func stackLines(_ stack: [StackFrame], maxStackLines: Int = 24) -> [String] {
    var lines: [String] = []
    var i = 0
    while i < stack.count {
      var j = i + 1
      while j < stack.count && stack[j] == stack[i] { j += 1 }
      let shown = Swift.min(j - i, 3)
      for _ in 0..<shown { lines.append("  in \(stack[i].function) at \(stack[i].location)") }
      if j - i > shown { lines.append("  ... the same call \(j - i - shown) more times") }
      i = j
    }
    guard lines.count > maxStackLines else { return lines }
    let half = maxStackLines / 2
    return Array(lines.prefix(half)) + ["  ... \(lines.count - 2 * half) more lines of the call stack"]
      + Array(lines.suffix(half))
  }

  /// Spaces (tabs where the line has tabs) up to the column, then `^~~~` over the span.
  static func caretLine(for line: String, column: Int, length: Int) -> String {
    let scalars = Array(line.unicodeScalars)
    var prefix = ""
    for i in 0..<Swift.max(0, column - 1) { prefix += (i < scalars.count && scalars[i] == "\t") ? "\t" : " " }
    let available = Swift.max(1, scalars.count - (column - 1))
    let span = Swift.max(1, Swift.min(length, available))
    return prefix + "^" + String(repeating: "~", count: span - 1)
  }
}

/// Errors of the script language. Every case a user sees carries a located `Diagnostic`.
public enum ScriptError: Error, CustomStringConvertible {
  /// Every syntax error of a source, in order of position.
  case syntax([Diagnostic])
  /// A runtime error with its location and call stack.
  case runtime(Diagnostic)
  /// Work stopped by the host (Ctrl-C) or by the step limit.
  case interrupted(Diagnostic)
  /// Raised by a builtin, which does not know where it was called from: the interpreter
  /// turns it into `.runtime` with the location of the call.
  case failure(String)

  /// The diagnostics in the order they should be shown.
  public var diagnostics: [Diagnostic] {
    switch self {
    case .syntax(let all): return all
    case .runtime(let d), .interrupted(let d): return [d]
    case .failure(let message):
      return [Diagnostic(message: message, location: SourceLocation(file: "<unknown>", line: 0, column: 0))]
    }
  }

  /// The rendered diagnostics, one block per error.
  public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

  /// True when the source only needs more input (the REPL's continuation prompt).
  public var isEndOfInput: Bool {
    if case .syntax(let all) = self { return all.contains { $0.isEndOfInput } }
    return false
  }
}
