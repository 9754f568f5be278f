import DPQLanguage
import Foundation

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

  public init(
    output: OutputSink, barWidth: Int = 24, minimumInterval: Double = 0.1,
    clock: @escaping () -> Double = monotonicSeconds
  ) {
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
