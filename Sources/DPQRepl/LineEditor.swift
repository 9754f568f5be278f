/// What reading one line at a prompt gave.
public enum LineInput: Equatable {
  /// A line, without its newline.
  case line(String)
  /// Ctrl-C at the prompt: the line was discarded.
  case interrupted
  /// Ctrl-D on an empty line, or the end of the input.
  case endOfInput
}

/// Reads lines at a prompt. The REPL talks to the terminal only through this, so it can be
/// driven by a script in tests.
public protocol LineEditor: AnyObject {
  /// Shows `prompt` and reads one line. `continuing` is the entry typed so far when this is a
  /// continuation line (completion looks at it), empty otherwise.
  func readLine(prompt: String, continuing: String) -> LineInput
  /// Remembers a complete entry for recall (Up arrow) and for the history file.
  func addHistory(_ entry: String)
  /// Saves the history; called once when the REPL ends.
  func close()
}

/// Replays fixed lines, then reports the end of input (tests, and non-terminal hosts).
public final class ScriptedLineEditor: LineEditor {
  private var lines: [LineInput]
  /// The prompts shown, in order.
  public private(set) var prompts: [String] = []
  /// The entries added to the history, in order.
  public private(set) var history: [String] = []

  public init(_ lines: [LineInput]) { self.lines = lines }

  public convenience init(lines: [String]) { self.init(lines.map { .line($0) }) }

  public func readLine(prompt: String, continuing: String) -> LineInput {
    prompts.append(prompt)
    return lines.isEmpty ? .endOfInput : lines.removeFirst()
  }

  public func addHistory(_ entry: String) { history.append(entry) }

  public func close() {}
}
