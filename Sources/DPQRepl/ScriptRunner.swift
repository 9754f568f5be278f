import DPQScript
import Foundation

/// `dpq run FILE` and `dpq < FILE`: a whole script, no prompts. Output goes to the session's
/// sink; a failure writes its diagnostics to `errors` and gives exit status 1.
public enum ScriptRunner {
  /// Runs `source`, named `file` in diagnostics; returns the exit status (0 or 1).
  public static func run(source: String, file: String, session: ScriptSession, errors: OutputSink) -> Int32 {
    switch session.run(source: source, file: file) {
    case .success: return 0
    case .failure(let error):
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
}
