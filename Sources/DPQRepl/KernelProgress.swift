import DPQBindings
import DPQLanguage
import Foundation

/// Progress of long work in a Jupyter cell: a line per unit of work (an epoch's log line); after
/// the first `burst` lines of a cell, at most one every `summaryInterval` seconds, so a million
/// tiny epochs do not flood the notebook. A line that comes too soon is held; the last one held is shown, after a count of
/// the ones skipped, before any message and when the cell ends (`flush`). Within a long unit, a
/// status line every `statusInterval` seconds (`PlainProgressLog`).
final class KernelProgress: ProgressReporter {
  let output: OutputSink
  let summaryInterval: Double
  let clock: () -> Double
  private let status: PlainProgressLog
  private var lastSummary = -Double.infinity
  private var held: String?
  private var skipped = 0

  let burst: Int
  private var shown = 0

  init(
    output: OutputSink, statusInterval: Double, summaryInterval: Double = 1, burst: Int = 10,
    clock: @escaping () -> Double = monotonicSeconds
  ) {
    self.output = output
    self.summaryInterval = summaryInterval
    self.burst = burst
    self.clock = clock
    status = PlainProgressLog(output: output, interval: statusInterval, clock: clock)
  }

  func begin(_ title: String, total: Int, unit: String) { status.begin(title, total: total, unit: unit) }
  func update(completed: Int, detail: String) { status.update(completed: completed, detail: detail) }

  func end(_ summary: String) {
    let now = clock()
    if shown < burst || now - lastSummary >= summaryInterval {
      if held != nil { skipped += 1 } // superseded by this one
      held = nil
      writeSkipped()
      output.write(summary + "\n")
      lastSummary = now
      shown += 1
    } else {
      if held != nil { skipped += 1 }
      held = summary
    }
  }

  func message(_ text: String) {
    flush()
    output.write(text + "\n")
  }

  /// Shows the line held back, if any (the last epoch before the work ended).
  func flush() {
    writeSkipped()
    if let line = held { output.write(line + "\n") }
    held = nil
    lastSummary = -Double.infinity
    shown = 0
  }

  private func writeSkipped() {
    guard skipped > 0 else { return }
    output.write("... (\(skipped) line\(skipped == 1 ? "" : "s") not shown)\n")
    skipped = 0
  }
}
