import CReadline
import DPQBindings
import DPQLanguage
import Foundation

/// Writes script output to the process's standard output (`dpq run`, the REPL), flushing each
/// write so output interleaves correctly with the prompt and with stderr.
public final class StandardOutputSink: OutputSink {
  public init() {}

  public func write(_ text: String) {
    fputs(text, dpq_stdout())
    fflush(dpq_stdout())
  }
}

/// Writes to standard error, flushing each write (diagnostics, `interrupted`).
public final class StandardErrorSink: OutputSink {
  public init() {}

  public func write(_ text: String) {
    fputs(text, dpq_stderr())
    fflush(dpq_stderr())
  }
}
