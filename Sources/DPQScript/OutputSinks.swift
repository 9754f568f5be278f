import Foundation

/// Writes script output to the process's standard output (`dpq run`, the REPL), flushing each
/// write so output interleaves correctly with the prompt and with stderr.
public final class StandardOutputSink: OutputSink {
  public init() {}

  public func write(_ text: String) {
    fputs(text, stdout)
    fflush(stdout)
  }
}

/// Collects script output in memory (the notebook runner, tests).
public final class StringOutputSink: OutputSink {
  public private(set) var text = ""

  public init() {}

  public func write(_ s: String) { text += s }

  /// Returns what was collected and starts over (one cell's output at a time).
  public func take() -> String {
    defer { text = "" }
    return text
  }
}
