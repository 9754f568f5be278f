import Foundation

/// Receives the progress of long work started from a script (training epochs, experiments).
///
/// The host picks the renderer: `TerminalProgressBar` when output is a terminal,
/// `PlainProgressLog` otherwise (logs, CI, notebooks). Both are plain text producers that write
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
struct ProgressTask {
  var title: String
  var total: Int
  var unit: String
  var start: Double
  var completed = 0
  var detail = ""

  /// `1,536/5,000 img  3,210 img/s  ETA 0:01`
  func counts(now: Double) -> String {
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

/// A one-line bar redrawn in place with carriage returns, for a terminal:
/// `epoch 3/30 [#########-------] 1,536/5,000 img  3,210 img/s  ETA 0:01  loss 0.4312`.
/// Redraws at most every `minimumInterval` seconds; `end` replaces the bar by the summary line.
public final class TerminalProgressBar: ProgressReporter {
  let output: OutputSink
  let barWidth: Int
  let minimumInterval: Double
  let clock: () -> Double
  private var task: ProgressTask?
  private var lastDraw = -Double.infinity

  public init(output: OutputSink, barWidth: Int = 24, minimumInterval: Double = 0.1,
              clock: @escaping () -> Double = monotonicSeconds) {
    self.output = output
    self.barWidth = max(4, barWidth)
    self.minimumInterval = minimumInterval
    self.clock = clock
  }

  /// Moves to the start of the line and clears it.
  static let clearLine = "\r\u{1B}[2K"

  public func begin(_ title: String, total: Int, unit: String) {
    task = ProgressTask(title: title, total: max(total, 0), unit: unit, start: clock())
    lastDraw = -Double.infinity
    draw(force: true)
  }

  public func update(completed: Int, detail: String) {
    guard task != nil else { return }
    task?.completed = completed
    task?.detail = detail
    draw(force: completed >= (task?.total ?? 0))
  }

  public func end(_ summary: String) {
    output.write(task == nil ? summary + "\n" : TerminalProgressBar.clearLine + summary + "\n")
    task = nil
  }

  public func message(_ text: String) {
    if task != nil {
      output.write(TerminalProgressBar.clearLine + text + "\n")
      draw(force: true)
    } else {
      output.write(text + "\n")
    }
  }

  /// The bar for the current task, e.g. `epoch 1/2 [######------] ...`.
  func line(now: Double) -> String {
    guard let t = task else { return "" }
    let fraction = t.total > 0 ? min(1, Double(t.completed) / Double(t.total)) : 0
    let filled = Int((fraction * Double(barWidth)).rounded(.down))
    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
    return "\(t.title) [\(bar)] " + t.counts(now: now)
  }

  private func draw(force: Bool) {
    let now = clock()
    guard force || now - lastDraw >= minimumInterval else { return }
    lastDraw = now
    output.write(TerminalProgressBar.clearLine + line(now: now))
  }
}

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
