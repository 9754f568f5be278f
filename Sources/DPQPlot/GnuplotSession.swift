import DPQTensor
import Foundation
import GnuplotBridge

/// One running gnuplot process: send it commands (and small inline tables), then `finish()` to
/// learn whether it succeeded. Large data belongs in files that the commands name, since gnuplot
/// reads its input a byte at a time.
///
/// The executable is `executable` if given, else the `DPQ_GNUPLOT` environment variable, else
/// `gnuplot` on PATH. A session that is never finished is closed (and its output discarded)
/// when it is released.
public final class GnuplotSession {
  /// The executable this session runs, as configured (before PATH lookup).
  public let executable: String
  private var handle: OpaquePointer?
  /// Set once a send saw gnuplot stop reading; `finish()` then reports how it ended.
  private var brokenPipe = false

  /// The executable to run when none is given: `DPQ_GNUPLOT` from `environment`, else `gnuplot`.
  public static func defaultExecutable(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let value = environment["DPQ_GNUPLOT"], !value.isEmpty { return value }
    return "gnuplot"
  }

  /// Whether the executable exists (resolved through PATH like a shell would).
  public static func isAvailable(executable: String? = nil) -> Bool {
    var buffer = [CChar](repeating: 0, count: 4096)
    return dpq_gnuplot_find(executable ?? defaultExecutable(), &buffer, buffer.count) == 1
  }

  /// Starts gnuplot with its standard output written to `standardOutput` (nil discards it).
  public init(executable: String? = nil, standardOutput: String? = nil) throws {
    self.executable = executable ?? GnuplotSession.defaultExecutable()
    var message = [CChar](repeating: 0, count: 1024)
    var session: OpaquePointer?
    let status = dpq_gnuplot_open(self.executable, standardOutput, &session, &message, message.count)
    switch status {
    case DPQ_GNUPLOT_OK:
      handle = session
    case DPQ_GNUPLOT_MISSING:
      throw PlotError.gnuplotMissing(executable: self.executable)
    default:
      throw PlotError.startFailed(reason: messageText(message))
    }
  }

  deinit {
    if let handle {
      var exitStatus: Int32 = 0
      _ = dpq_gnuplot_close(handle, 5, &exitStatus, nil)
    }
  }

  /// The child's process id, or nil once finished.
  public var processID: Int? { handle.map { Int(dpq_gnuplot_pid($0)) } }

  /// Sends command text; a newline is appended if `commands` lacks one.
  public func send(_ commands: String) throws {
    let handle = try liveHandle()
    let text = commands.hasSuffix("\n") ? commands : commands + "\n"
    if dpq_gnuplot_send(handle, text) != DPQ_GNUPLOT_OK { try failAfterBrokenPipe() }
  }

  /// Sends rows of numbers as inline data for a preceding `plot '-'` (ends the block with `e`).
  public func sendData(_ rows: [[Double]]) throws {
    let handle = try liveHandle()
    let columns = rows.first?.count ?? 0
    guard rows.allSatisfy({ $0.count == columns }) else {
      throw PlotError.invalidArgument(function: "sendData", reason: "rows have different lengths")
    }
    let flat = rows.flatMap { $0 }
    let status = flat.withUnsafeBufferPointer { dpq_gnuplot_send_data(handle, $0.baseAddress, rows.count, columns) }
    if status != DPQ_GNUPLOT_OK { try failAfterBrokenPipe() }
  }

  /// Closes gnuplot's input and waits for it to exit. Returns what gnuplot wrote to its standard
  /// error (warnings, `print` output) when it succeeded; throws `gnuplotFailed` with that text
  /// when it reported an error, `gnuplotDied` when it crashed or was killed, `timedOut` when it
  /// ran longer than `timeout` seconds.
  @discardableResult
  public func finish(timeout: Double = 120) throws -> String {
    let handle = try liveHandle()
    self.handle = nil
    var exitStatus: Int32 = 0
    var errorText: UnsafeMutablePointer<CChar>?
    let status = dpq_gnuplot_close(handle, timeout, &exitStatus, &errorText)
    let stderr = errorText.map { String(cString: $0) } ?? ""
    dpq_gnuplot_free(errorText)
    let message = GnuplotSession.tidy(stderr)
    if status == DPQ_GNUPLOT_TIMEOUT { throw PlotError.timedOut(seconds: timeout) }
    switch exitStatus {
    case 0 where !brokenPipe:
      return message
    case 126, 127:
      // exec failed after the spawn (possible with some libc versions).
      throw PlotError.gnuplotMissing(executable: executable)
    case 1 where !brokenPipe && !message.isEmpty:
      throw PlotError.gnuplotFailed(message: message)
    default:
      throw PlotError.gnuplotDied(status: Int(exitStatus), message: message)
    }
  }

  private func liveHandle() throws -> OpaquePointer {
    guard let handle else {
      throw PlotError.invalidArgument(function: "GnuplotSession", reason: "the session is already finished")
    }
    return handle
  }

  /// gnuplot stopped reading: collect its exit status and message and report them.
  private func failAfterBrokenPipe() throws -> Never {
    brokenPipe = true
    try finish(timeout: 5)
    throw PlotError.gnuplotDied(status: 0, message: "gnuplot stopped reading its input")
  }

  /// gnuplot's error output without blank lines and the caret-only lines it draws under commands.
  static func tidy(_ text: String) -> String {
    text.split(separator: "\n", omittingEmptySubsequences: true)
      .map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && $0 != "^" }
      .joined(separator: "\n")
  }
}
