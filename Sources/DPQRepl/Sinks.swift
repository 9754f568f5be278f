import DPQScript
import Foundation

/// Writes to standard error, flushing each write (diagnostics, `interrupted`).
public final class StandardErrorSink: OutputSink {
  public init() {}

  public func write(_ text: String) {
    fputs(text, stderr)
    fflush(stderr)
  }
}
