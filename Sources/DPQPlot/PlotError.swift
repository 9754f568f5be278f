/// Errors raised while building or drawing a figure. Each case carries what a user needs to act:
/// the executable, gnuplot's own message, the file or the argument at fault.
public enum PlotError: Error, CustomStringConvertible, Equatable {
  /// No gnuplot at the configured path (`DPQ_GNUPLOT`, or `gnuplot` on PATH).
  case gnuplotMissing(executable: String)
  /// gnuplot ran but reported an error (its message, with script line numbers).
  case gnuplotFailed(message: String)
  /// gnuplot exited abnormally (killed, crashed, or stopped reading its input).
  case gnuplotDied(status: Int, message: String)
  /// gnuplot did not finish within the time limit and was stopped.
  case timedOut(seconds: Double)
  /// The renderer's `shouldStop` asked for a stop (Ctrl-C) while gnuplot was drawing.
  case stopped
  /// The process could not be started for a reason other than a missing binary.
  case startFailed(reason: String)
  /// A figure factory or renderer was given data it cannot draw.
  case invalidArgument(function: String, reason: String)
  /// The file name's extension names no format dpq can write.
  case unsupportedFormat(path: String)
  /// A file could not be written or read.
  case fileError(path: String, reason: String)

  public var description: String {
    switch self {
    case .gnuplotMissing(let executable):
      let which = executable == "gnuplot" ? "" : " (looked for '\(executable)')"
      return "gnuplot not found: install gnuplot-nox (scripts/setup does)" + which
    case .gnuplotFailed(let message):
      return "gnuplot reported an error: \(message)"
    case .gnuplotDied(let status, let message):
      let detail = message.isEmpty ? "" : ": \(message)"
      return "gnuplot stopped unexpectedly (exit status \(status))\(detail)"
    case .timedOut(let seconds):
      return "gnuplot did not finish within \(seconds) s and was stopped"
    case .stopped:
      return "drawing stopped by request"
    case .startFailed(let reason):
      return "cannot start gnuplot: \(reason)"
    case .invalidArgument(let function, let reason):
      return "bad argument to '\(function)': \(reason)"
    case .unsupportedFormat(let path):
      return "cannot tell the image format of '\(path)': use a .png, .svg or .txt file name"
    case .fileError(let path, let reason):
      return "\(path): \(reason)"
    }
  }
}
