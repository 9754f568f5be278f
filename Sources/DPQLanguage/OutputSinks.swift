import Foundation

/// Collects script output in memory (the notebook runner, tests). The sinks that write to the
/// process's standard streams belong to the host (DPQRepl's Sinks.swift): the language never
/// touches the terminal itself.
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
