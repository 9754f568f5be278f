import DPQBindings
import DPQLanguage
import Foundation

/// The entry points of the `dpq` command: the REPL on a terminal, a script from standard input
/// or a file, and a notebook. Each returns the process's exit status.
public enum Launcher {
  /// True when standard input is a terminal (the REPL), false when it is a pipe or a file.
  public static var standardInputIsTerminal: Bool { isatty(STDIN_FILENO) != 0 }

  /// The REPL when standard input is a terminal; otherwise the script read from standard input.
  public static func start(version: String) -> Int32 {
    standardInputIsTerminal ? interactive(version: version) : script(file: nil, arguments: [])
  }

  /// The REPL on the terminal: readline, history, completion and Ctrl-C handling.
  public static func interactive(version: String) -> Int32 {
    Interrupts.install()
    let session = ScriptSession(output: StandardOutputSink())
    session.progressReporter = progressReporter(for: STDOUT_FILENO, output: StandardOutputSink())
    session.bindingSettings.renderer.terminalWindow = { TerminalWindow.size() }
    let editor = ReadlineEditor(completer: Completer(session: session))
    let repl = Repl(session: session, editor: editor, output: StandardOutputSink(), errors: StandardErrorSink())
    repl.run(banner: Repl.banner(version: version))
    return 0
  }

  /// Runs a script file, or standard input when `file` is nil, without prompts: 0, 1 with the
  /// diagnostic on standard error, or 130 when Ctrl-C stopped it (at its next statement, batch or
  /// iteration, with a located message; a second Ctrl-C within 2 s exits at once).
  public static func script(file: String?, arguments: [String]) -> Int32 {
    Interrupts.install(respectingIgnored: true)
    let session = ScriptSession(output: StandardOutputSink())
    session.arguments = arguments
    session.shouldStop = { Interrupts.isPending }
    session.bindingSettings.renderer.shouldStop = { Interrupts.isPending }
    session.bindingSettings.renderer.terminalWindow = { TerminalWindow.size() }
    session.progressReporter = progressReporter(for: STDOUT_FILENO, output: StandardOutputSink())
    guard let file else { return ScriptRunner.runStandardInput(session: session, errors: StandardErrorSink()) }
    return ScriptRunner.run(file: file, session: session, errors: StandardErrorSink())
  }

  /// Runs a notebook and writes its report: 0, 1 when a cell failed or the report could not be
  /// written, 130 when Ctrl-C stopped a cell (the report then shows the cells run so far).
  /// Progress lines go to standard output, diagnostics to standard error.
  public static func notebook(file: String, options: NotebookRunner.Options) -> Int32 {
    Interrupts.install(respectingIgnored: true)
    var options = options
    options.shouldStop = { Interrupts.isPending }
    if options.liveProgress == nil {
      options.liveProgress = progressReporter(for: STDERR_FILENO, output: StandardErrorSink())
    }
    let runner = NotebookRunner(options: options)
    runner.log = { print($0) }
    do {
      let outcome = try Interrupts.whileWorking { try runner.run(file: file) }
      for failure in outcome.failures { FileHandle.standardError.write(Data((failure.description + "\n").utf8)) }
      let figures = outcome.figurePaths.count
      let status = outcome.succeeded ? "" : ", \(outcome.failures.count) failed"
      if let path = outcome.notebookPath { print("wrote \(path)") }
      print(
        "wrote \(outcome.reportPath) (\(outcome.cellCount) code cells\(status), \(figures) figure\(figures == 1 ? "" : "s"), \(Repl.formatDuration(outcome.seconds)))"
      )
      return outcome.interrupted ? ScriptRunner.interruptedStatus : outcome.succeeded ? 0 : 1
    } catch {
      FileHandle.standardError.write(Data("dpq: \(error)\n".utf8))
      return 1
    }
  }

  /// A bar with rate and ETA redrawn in place when `descriptor` is a terminal that can clear a
  /// line; otherwise (a pipe, a file, or TERM=dumb, as Emacs's shell and some CI consoles set) a
  /// plain line every 10 seconds and each unit's summary, with no control characters.
  public static func progressReporter(
    for descriptor: Int32, output: OutputSink,
    environment: [String: String] = ProcessInfo.processInfo.environment
  )
    -> ProgressReporter
  {
    let canRedraw = isatty(descriptor) != 0 && environment["TERM"] != "dumb"
    return canRedraw ? TerminalProgressBar(output: output) : PlainProgressLog(output: output)
  }
}
