@preconcurrency import CReadline
import DPQBindings
import DPQLanguage
import Foundation

/// The terminal line editor: GNU Readline through its callback interface, so that Ctrl-C at the
/// prompt is handled outside the signal handler (the read is interrupted, the line is dropped
/// and a fresh prompt shown), plus persistent history and Tab completion.
///
/// History lives in `~/.dpq_history`, or in the file named by `DPQ_HISTORY` (empty: no file).
/// Entries are appended as they are entered, with timestamps, so multi-line entries come back
/// whole in the next session; the file is cut to the last `historyLimit` lines on exit.
public final class ReadlineEditor: LineEditor {
  /// Entries kept in memory, and lines kept in the file.
  public static let historyLimit: Int32 = 1000
  public let historyPath: String?
  public var completer: Completer?

  /// Characters that end a word for completion: `model.` completes after the dot, `f(` after
  /// the parenthesis, `"data/` after the slash.
  static let wordBreakCharacters = " \t\n\"'`@$><=;|&{}()[],.+-*/%:!^~?"

  /// The history file: `DPQ_HISTORY` when set (empty disables it), else `~/.dpq_history`.
  public static func defaultHistoryPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String?
  {
    if let path = environment["DPQ_HISTORY"] { return path.isEmpty ? nil : (path as NSString).expandingTildeInPath }
    guard let home = environment["HOME"], !home.isEmpty else { return nil }
    return (home as NSString).appendingPathComponent(".dpq_history")
  }

  public init(completer: Completer?, historyPath: String? = ReadlineEditor.defaultHistoryPath()) {
    self.completer = completer
    self.historyPath = historyPath
    setlocale(LC_CTYPE, "") // multibyte characters in the line
    rl_readline_name = UnsafePointer(strdup("dpq"))
    rl_catch_signals = 0 // Interrupts owns SIGINT
    rl_catch_sigwinch = 1
    rl_completer_word_break_characters = UnsafePointer(strdup(ReadlineEditor.wordBreakCharacters))
    rl_completer_quote_characters = nil
    rl_attempted_completion_function = attemptCompletion
    using_history()
    history_comment_char = CChar(UInt8(ascii: "#"))
    history_write_timestamps = 1
    stifle_history(ReadlineEditor.historyLimit)
    if let path = historyPath { read_history(path) }
    activeEditor = self
  }

  /// The entry typed so far when a continuation line is read (completion looks at it too).
  private var pendingEntry = ""

  public func readLine(prompt: String, continuing: String) -> LineInput {
    pendingEntry = continuing
    receivedLine = nil
    rl_callback_handler_install(prompt, onLine)
    let input = fileno(rl_instream ?? stdin)
    while receivedLine == nil {
      if Interrupts.clear() {
        // Leave `prompt> text^C` on screen, drop the line, and hand the terminal back.
        rl_point = rl_end
        rl_redisplay()
        fputs("^C\n", rl_outstream ?? dpq_stdout())
        fflush(rl_outstream ?? dpq_stdout())
        rl_free_line_state()
        rl_callback_sigcleanup()
        rl_cleanup_after_signal()
        rl_callback_handler_remove()
        return .interrupted
      }
      var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
      // The timeout bounds the wait should a Ctrl-C land between the check above and the poll.
      let ready = poll(&descriptor, 1, 250)
      if ready < 0 {
        if errno == EINTR { continue }
        rl_callback_handler_remove()
        return .endOfInput
      }
      if ready > 0 { rl_callback_read_char() }
    }
    switch receivedLine {
    case .line(let text)?: return .line(text)
    default:
      fputs("\n", dpq_stdout())
      fflush(dpq_stdout())
      return .endOfInput
    }
  }

  public func addHistory(_ entry: String) {
    guard !entry.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
    if history_length > 0, let last = history_get(history_base + history_length - 1), let line = last.pointee.line,
      String(cString: line) == entry
    {
      return
    }
    add_history(entry)
    guard let path = historyPath else { return }
    if FileManager.default.fileExists(atPath: path) {
      append_history(1, path)
    } else {
      write_history(path)
    }
  }

  public func close() {
    if let path = historyPath, FileManager.default.fileExists(atPath: path) {
      history_truncate_file(path, ReadlineEditor.historyLimit)
    }
    if activeEditor === self { activeEditor = nil }
  }

  /// Candidates for the region readline replaces (`start..<end` bytes of the line), from the
  /// completer's answer for the text before the cursor.
  func readlineCandidates(line: [UInt8], start: Int, end: Int) -> (candidates: [String], appendQuote: Bool) {
    guard let completer else { return ([], false) }
    let before = String(decoding: line[0..<end], as: UTF8.self)
    let context = pendingEntry + before
    let result = completer.complete(context)
    let inString = Completer.openString(in: context) != nil && !context.hasPrefix(":")
    let wordStart = max(0, end - result.word.utf8.count)
    var out: [String] = []
    for candidate in result.candidates {
      if wordStart >= start {
        out.append(String(decoding: line[start..<wordStart], as: UTF8.self) + candidate)
      } else {
        let typed = Array(line[wordStart..<start])
        let bytes = Array(candidate.utf8)
        guard bytes.starts(with: typed) else { continue }
        out.append(String(decoding: bytes[typed.count...], as: UTF8.self))
      }
    }
    return (out, inString)
  }
}

/// The editor whose completer the C callbacks use (one terminal per process).
private nonisolated(unsafe) weak var activeEditor: ReadlineEditor?

private enum Received {
  case line(String)
  case end
}

/// Set by the line handler; read by `readLine`.
private nonisolated(unsafe) var receivedLine: Received?

/// Called by readline with a complete line (nil for end of input). Removing the handler here
/// keeps readline from showing the prompt again while the entry runs.
private let onLine: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
  if let line {
    receivedLine = .line(String(cString: line))
    free(line)
  } else {
    receivedLine = .end
  }
  rl_callback_handler_remove()
}

/// Matches handed to readline by `nextMatch`.
private nonisolated(unsafe) var pendingMatches: [String] = []
private nonisolated(unsafe) var pendingMatchIndex = 0

private let nextMatch: @convention(c) (UnsafePointer<CChar>?, Int32) -> UnsafeMutablePointer<CChar>? = { _, state in
  if state == 0 { pendingMatchIndex = 0 }
  guard pendingMatchIndex < pendingMatches.count else { return nil }
  defer { pendingMatchIndex += 1 }
  return strdup(pendingMatches[pendingMatchIndex])
}

private let attemptCompletion:
  @convention(c) (UnsafePointer<CChar>?, Int32, Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, end in
      rl_attempted_completion_over = 1 // never fall back to readline's own file names
      guard let editor = activeEditor, let buffer = rl_line_buffer else { return nil }
      let count = Int(rl_end)
      let line = Array(
        UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: count))
      let (candidates, inString) = editor.readlineCandidates(line: line, start: Int(start), end: min(Int(end), count))
      guard !candidates.isEmpty else { return nil }
      pendingMatches = candidates
      // Keyword names already end with ": "; a directory gets no quote; a unique file in a string
      // gets its closing quote; names get nothing (the user types `(` or `.` next).
      rl_completion_append_character = 0
      if inString, candidates.count == 1, let only = candidates.first, !only.hasSuffix("/") {
        let context = Array(line[0..<min(Int(end), count)])
        if let quote = context.last(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) {
          rl_completion_append_character = Int32(quote)
        }
      }
      return rl_completion_matches(text, nextMatch)
    }
