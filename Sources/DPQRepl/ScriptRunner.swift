import DPQBindings
import DPQLanguage
import Foundation

/// `dpq run FILE` and `dpq < FILE`: a whole script, no prompts. Output goes to the session's
/// sink; a failure writes its diagnostics to `errors` and gives exit status 1; a Ctrl-C stops
/// the script at its next statement, batch or iteration and gives exit status 130 (128 + SIGINT,
/// what a shell reports for a process ended by Ctrl-C).
public enum ScriptRunner {
  /// The exit status of a script stopped by Ctrl-C.
  public static let interruptedStatus: Int32 = 130

  /// Runs `source`, named `file` in diagnostics; returns the exit status (0, 1 or 130). Install
  /// `Interrupts` and set the session's `shouldStop` for Ctrl-C to stop the script gracefully.
  public static func run(source: String, file: String, session: ScriptSession, errors: OutputSink) -> Int32 {
    switch Interrupts.whileWorking({ session.run(source: source, file: file) }) {
    case .success: return 0
    case .failure(let error):
      if isInterruption(error), case .interrupted(var d) = error {
        d.message = "interrupted (Ctrl-C): the script stopped here; exit status \(interruptedStatus)"
        errors.write(d.description + "\n")
        return interruptedStatus
      }
      errors.write(error.description + "\n")
      return 1
    }
  }

  /// Reads and runs the script at `path`; an unreadable file is reported like a script error.
  public static func run(file path: String, session: ScriptSession, errors: OutputSink) -> Int32 {
    guard let data = FileManager.default.contents(atPath: path) else {
      errors.write("dpq: \(ReplError.unreadable(path: path))\n")
      return 1
    }
    return run(source: String(decoding: data, as: UTF8.self), file: path, session: session, errors: errors)
  }

  /// Reads all of standard input and runs it as `<stdin>`.
  public static func runStandardInput(session: ScriptSession, errors: OutputSink) -> Int32 {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    return run(source: String(decoding: data, as: UTF8.self), file: "<stdin>", session: session, errors: errors)
  }

  /// True for a stop the host asked for (Ctrl-C), false for other errors and the step limit.
  public static func isInterruption(_ error: ScriptError) -> Bool {
    if case .interrupted(let d) = error { return d.message == "interrupted" }
    return false
  }
}
