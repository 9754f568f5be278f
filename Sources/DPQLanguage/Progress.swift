import Foundation

/// Receives the progress of long work started from a script (training epochs, experiments).
///
/// The host picks the renderer: DPQRepl's `TerminalProgressBar` when output is a terminal that
/// can redraw a line, `PlainProgressLog` otherwise (logs, CI, notebooks, TERM=dumb). Both are plain text producers that write
/// through an `OutputSink`; set one with `session.progressReporter = ...`. Calls come from the
/// thread the script runs on.
public protocol ProgressReporter: AnyObject {
  /// A unit of work starts: `title` ("epoch 3/30"), `total` items of `unit` ("img").
  func begin(_ title: String, total: Int, unit: String)
  /// `completed` of the total items are done; `detail` is a short status ("loss 0.4312").
  func update(completed: Int, detail: String)
  /// The unit of work ended; `summary` is its result line (the epoch's log line).
  func end(_ summary: String)
  /// A line of information outside a unit of work (an experiment's steps).
  func message(_ text: String)
}

/// The state both renderers keep about the current unit of work.
package struct ProgressTask {
  package var title: String
  package var total: Int
  package var unit: String
  package var start: Double
  package var completed = 0
  package var detail = ""

  package init(title: String, total: Int, unit: String, start: Double) {
    self.title = title
    self.total = total
    self.unit = unit
    self.start = start
  }

  /// `1,536/5,000 img  3,210 img/s  ETA 0:01`
  package func counts(now: Double) -> String {
    let elapsed = max(now - start, 1e-9)
    let rate = Double(completed) / elapsed
    var s = "\(Format.grouped(completed))/\(Format.grouped(total)) \(unit)"
    if completed > 0 {
      s += "  \(Format.grouped(Int(rate.rounded()))) \(unit)/s"
      if completed < total { s += "  ETA " + Format.duration(Double(total - completed) / rate) }
    }
    if !detail.isEmpty { s += "  " + detail }
    return s
  }
}

/// The monotonic clock in seconds.
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Plain lines for logs and pipes: one status line every `interval` seconds during a unit of
/// work, and its summary line at the end. Never uses control characters.
public final class PlainProgressLog: ProgressReporter {
  let output: OutputSink
  let interval: Double
  let clock: () -> Double
  private var task: ProgressTask?
  private var lastLine = 0.0

  public init(output: OutputSink, interval: Double = 10, clock: @escaping () -> Double = monotonicSeconds) {
    self.output = output
    self.interval = interval
    self.clock = clock
  }

  public func begin(_ title: String, total: Int, unit: String) {
    let now = clock()
    task = ProgressTask(title: title, total: max(total, 0), unit: unit, start: now)
    lastLine = now
  }

  public func update(completed: Int, detail: String) {
    guard var t = task else { return }
    t.completed = completed
    t.detail = detail
    task = t
    let now = clock()
    guard now - lastLine >= interval, completed < t.total else { return }
    lastLine = now
    let percent = t.total > 0 ? Int((100 * Double(completed) / Double(t.total)).rounded()) : 0
    output.write("\(t.title): \(percent)%  " + t.counts(now: now) + "\n")
  }

  public func end(_ summary: String) {
    output.write(summary + "\n")
    task = nil
  }

  public func message(_ text: String) {
    output.write(text + "\n")
  }
}
