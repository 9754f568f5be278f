import DPQBindings
import DPQLanguage
import Foundation

/// The interactive loop: reads entries through a `LineEditor`, runs them in a `ScriptSession`,
/// and handles the `:commands` and `?name`.
///
/// An entry continues on `...> ` lines while a block, bracket or string is open
/// (`ScriptSession.isIncomplete`). The session keeps the last value in `ans`; a trailing `;`
/// runs an entry without printing its value. Errors go to `errors`, everything else to `output`.
public final class Repl {
  public static let prompt = "dpq> "
  public static let continuationPrompt = "...> "

  public let session: ScriptSession
  let editor: LineEditor
  let output: OutputSink
  let errors: OutputSink

  /// `session` should write to the same place as `output`. Its `shouldStop` is set to the
  /// pending Ctrl-C of `Interrupts`.
  public init(session: ScriptSession, editor: LineEditor, output: OutputSink, errors: OutputSink) {
    self.session = session
    self.editor = editor
    self.output = output
    self.errors = errors
    session.shouldStop = { Interrupts.isPending }
    session.bindingSettings.renderer.shouldStop = { Interrupts.isPending }
  }

  /// The first lines a terminal user sees.
  public static func banner(version: String) -> String {
    "dpq \(version): Deep Progressive Quantization. Type :help for help, :quit or Ctrl-D to leave."
  }

  /// Reads and runs entries until `:quit` or the end of input; saves the history.
  public func run(banner: String? = nil) {
    if let banner { output.write(banner + "\n") }
    var entry = ""
    loop: while true {
      let prompt = entry.isEmpty ? Repl.prompt : Repl.continuationPrompt
      switch editor.readLine(prompt: prompt, continuing: entry.isEmpty ? "" : entry + "\n") {
      case .endOfInput:
        break loop
      case .interrupted:
        entry = ""
      case .line(let line):
        entry += entry.isEmpty ? line : "\n" + line
        if entry.trimmingCharacters(in: .whitespaces).isEmpty {
          entry = ""
          continue
        }
        if ReplCommand.parse(entry) == nil, ScriptSession.isIncomplete(entry) { continue }
        editor.addHistory(entry)
        let keepGoing = handle(entry)
        entry = ""
        if !keepGoing { break loop }
      }
    }
    editor.close()
  }

  /// Runs one complete entry (code or a command); returns false when the REPL should end.
  @discardableResult
  public func handle(_ entry: String) -> Bool {
    guard let command = ReplCommand.parse(entry) else {
      evaluate(entry)
      return true
    }
    switch command {
    case .help(let name):
      output.write((name == nil ? Repl.helpText : session.help(name)) + "\n")
    case .vars:
      output.write(TextTable.variables(session.globals) + "\n")
    case .time(let expression):
      if let seconds = evaluate(expression) {
        output.write("time: \(Repl.formatDuration(seconds))\n")
      }
    case .load(let path):
      let resolved = (path as NSString).expandingTildeInPath
      let result = Interrupts.whileWorking { session.run(file: resolved) }
      if case .failure(let error) = result { report(error) }
    case .reset:
      session.reset()
      output.write("session reset: all variables cleared\n")
    case .quit:
      return false
    case .invalid(let message):
      errors.write("error: \(message)\n")
    }
    return true
  }

  /// Runs code and reports its error; returns the wall time in seconds when it succeeded.
  @discardableResult
  func evaluate(_ code: String) -> Double? {
    let start = DispatchTime.now().uptimeNanoseconds
    let result = Interrupts.whileWorking { session.evaluate(entry: code) }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    switch result {
    case .success: return seconds
    case .failure(let error):
      report(error)
      return nil
    }
  }

  /// A Ctrl-C prints `interrupted` (on a line of its own after the terminal's `^C`); other
  /// errors print their diagnostics.
  func report(_ error: ScriptError) {
    if case .interrupted(let d) = error, d.message == "interrupted" {
      errors.write(isatty(STDERR_FILENO) != 0 ? "\ninterrupted\n" : "interrupted\n")
    } else {
      errors.write(error.description + "\n")
    }
  }

  /// `:help` without a name.
  public static let helpText = """
    Enter code to run it. An entry continues on `...>` lines while a block, bracket or string
    is open. The last value is kept in `ans`; a trailing `;` runs an entry without printing it.

      ?name          help for a builtin (?zeros), a method (?tensor.sum) or a variable
      help()         every builtin, by family
      :help [name]   this text, or the same as ?name
      :vars          the variables with their types and shapes
      :time EXPR     run EXPR and print its wall time
      :load FILE     run a script file in this session (its variables stay)
      :reset         forget all variables
      :quit          leave (also :q, Ctrl-D)

    Tab completes names, attributes after `.`, keyword names inside a call and file paths
    inside a string. Ctrl-C clears the line at the prompt; while code runs it stops the work at
    the next statement, batch or iteration and keeps every variable; a stopped train, kmeans,
    pq/opq/rq, search or evaluate leaves its partial result in ans (a second Ctrl-C within
    2 s, when the work has not stopped, exits dpq). History is kept in ~/.dpq_history
    (DPQ_HISTORY names another file; set it empty for none).
    """

  /// `850 µs`, `12.3 ms`, `4.56 s`, `2 min 5.0 s`.
  public static func formatDuration(_ seconds: Double) -> String {
    if seconds < 1e-3 { return String(format: "%.0f µs", seconds * 1e6) }
    if seconds < 1 { return String(format: "%.3g ms", seconds * 1e3) }
    if seconds < 60 { return String(format: "%.3g s", seconds) }
    let minutes = Int(seconds / 60)
    return String(format: "%d min %.1f s", minutes, seconds - Double(minutes) * 60)
  }
}
