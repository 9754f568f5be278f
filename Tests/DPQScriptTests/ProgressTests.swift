import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage
@testable import DPQRepl

/// A clock the test moves by hand.
final class ManualClock {
  var now = 100.0
  func read() -> Double { now }
}

@Suite struct ProgressTests {
  @Test func terminalBarRedrawsInPlaceWithRateAndETA() {
    let sink = CapturingSink()
    let clock = ManualClock()
    let bar = TerminalProgressBar(output: sink, barWidth: 10, minimumInterval: 0.5, clock: clock.read)
    bar.begin("epoch 1/2", total: 1000, unit: "img")
    clock.now += 1
    bar.update(completed: 250, detail: "")
    clock.now += 0.1
    bar.update(completed: 300, detail: "") // within the interval: not drawn
    clock.now += 1
    bar.update(completed: 500, detail: "loss 0.5")
    bar.end("epoch 1/2  cls 0.4000")
    let clear = TerminalProgressBar.clearLine
    #expect(
      sink.text == clear + "epoch 1/2 [----------] 0/1,000 img"
        + clear + "epoch 1/2 [##--------] 250/1,000 img  250 img/s  ETA 0:03"
        + clear + "epoch 1/2 [#####-----] 500/1,000 img  238 img/s  ETA 0:02  loss 0.5"
        + clear + "epoch 1/2  cls 0.4000\n")
  }

  @Test func terminalBarKeepsMessagesAboveTheBar() {
    let sink = CapturingSink()
    let clock = ManualClock()
    let bar = TerminalProgressBar(output: sink, barWidth: 4, clock: clock.read)
    bar.message("before")
    bar.begin("work", total: 2, unit: "step")
    bar.message("note")
    clock.now += 1
    bar.update(completed: 2, detail: "") // completion is always drawn
    let clear = TerminalProgressBar.clearLine
    #expect(
      sink.text == "before\n" + clear + "work [----] 0/2 step" + clear + "note\n" + clear + "work [----] 0/2 step"
        + clear + "work [####] 2/2 step  2 step/s")
  }

  @Test func plainLogWritesPeriodicLinesWithoutControlCharacters() {
    let sink = CapturingSink()
    let clock = ManualClock()
    let log = PlainProgressLog(output: sink, interval: 10, clock: clock.read)
    log.begin("epoch 3/30", total: 5000, unit: "img")
    clock.now += 4
    log.update(completed: 1000, detail: "") // before the interval: silent
    clock.now += 8
    log.update(completed: 3000, detail: "")
    clock.now += 3
    log.update(completed: 5000, detail: "") // the end line says it
    log.end("epoch 3/30  cls 0.3000")
    log.message("done")
    #expect(sink.lines == ["epoch 3/30: 60%  3,000/5,000 img  250 img/s  ETA 0:08", "epoch 3/30  cls 0.3000", "done"])
    #expect(!sink.text.contains("\r") && !sink.text.contains("\u{1B}"))
  }
}

/// Records what the trainer reports, and can ask the session to stop.
/// `stopRequested` is lock-protected: the stop poll that reads it is `@Sendable`.
final class RecordingReporter: ProgressReporter, @unchecked Sendable {
  var events: [String] = []
  var updates = 0
  var stopAfterUpdates: Int? = nil
  private let lock = NSLock()
  private var stop = false
  var stopRequested: Bool {
    get { lock.withLock { stop } }
    set { lock.withLock { stop = newValue } }
  }

  func begin(_ title: String, total: Int, unit: String) { events.append("begin \(title) \(total) \(unit)") }
  func update(completed: Int, detail: String) {
    updates += 1
    events.append("update \(completed)")
    if let n = stopAfterUpdates, updates >= n { stopRequested = true }
  }
  func end(_ summary: String) { events.append("end " + summary.split(separator: " ").prefix(4).joined(separator: " ")) }
  func message(_ text: String) { events.append("message " + text) }
}

@Suite struct TrainingHostTests {
  let setup = """
    d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
    m = dpq(backbone: "mlp", input: 8, hidden: [16], dim: 6, blocks: 2, codewords: 4, classes: 4)
    """

  @Test func trainingReportsEveryEpochToTheProgressReporter() {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let reporter = RecordingReporter()
    session.progressReporter = reporter
    let result = session.run(source: setup + "\nlog = train(m, d, epochs: 2, batch: 32)", file: "t.dpq")
    if case .failure(let e) = result { Issue.record("\(e)") }
    #expect(
      reporter.events == [
        "begin epoch 1/2 64 img", "update 32", "update 64", "end epoch 1/2 stage 1",
        "begin epoch 2/2 64 img", "update 32", "update 64", "end epoch 2/2 stage 2",
      ])
    #expect(sink.text.isEmpty)
  }

  /// Ctrl-C during `train`: the host's stop request ends training after the current batch and
  /// stops the script there; the model keeps its weights and its log, and stays usable.
  @Test func stopRequestDuringTrainingKeepsTheModelUsable() {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let reporter = RecordingReporter()
    reporter.stopAfterUpdates = 3
    session.progressReporter = reporter
    session.shouldStop = { reporter.stopRequested }
    let result = session.run(
      source: setup + "\nlog = train(m, d, epochs: 5, batch: 32)\nprint(\"not reached\")", file: "t.dpq")
    guard case .failure(let error) = result, case .interrupted = error else {
      Issue.record("expected an interruption, got \(result)")
      return
    }
    #expect(
      sink.text == "training stopped after 2 of 5 epochs: the model keeps its weights; its log is model.log (and ans)\n"
    )
    // the trainer logs the interrupted epoch from the batches it ran
    #expect(reporter.events.suffix(2) == ["update 32", "end epoch 2/5 stage 1"])
    #expect(error.diagnostics.first?.message == "interrupted")
    #expect(error.diagnostics.first?.location.line == 3)
    session.shouldStop = nil
    sink.text = ""
    let after = session.run(
      source: """
        print(m.log.stopped, len(m.log), m.log.epochs)
        print(ans.stopped, len(ans))
        print(m.encode(d).count, m.features(d).shape)
        more = train(m, d, epochs: 1, batch: 32)
        print(more.stopped, len(more))
        """, file: "after.dpq")
    if case .failure(let e) = after { Issue.record("\(e)") }
    #expect(sink.lines == ["true 2 [1, 2]", "true 2", "64 [64, 6]", "false 1"])
  }

  @Test func featureExtractionOfManyItemsReportsProgress() {
    let session = ScriptSession(output: CapturingSink())
    let reporter = RecordingReporter()
    session.progressReporter = reporter
    let result = session.run(
      source: setup + "\nbig = blobs(n: 1200, classes: 4, dim: 8)\nix = m.index(big)\nm.features(d)", file: "f.dpq")
    if case .failure(let e) = result { Issue.record("\(e)") }
    // one batch (64 items) reports nothing; 1,200 items report three batches and a summary
    #expect(
      Array(reporter.events.prefix(4)) == ["begin features 1200 img", "update 500", "update 1000", "update 1200"])
    #expect(reporter.events.count == 5 && reporter.events[4].hasPrefix("end features: 1,200 images in"))
  }

  @Test func experimentStepsGoToTheReporterAsMessages() {
    // the reporter is the only place experiment lines go; without one nothing is printed
    let settings = BindingSettings()
    #expect(settings.progress == nil)
    #expect(settings.figureDisplay == .text(columns: nil, rows: nil))
  }
}

@Suite struct FigureHostTests {
  @Test func hostsSeeFiguresAndTheirSummary() throws {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    session.bindingSettings.figureDisplay = .summary
    guard case .success(let value?) = session.evaluate(entry: "plot([1, 2, 3], title: \"line\")"),
      case .host(let h) = value, let fig = h as? FigureObject
    else {
      Issue.record("plot should return a figure")
      return
    }
    #expect(fig.figure.title == "line")
    #expect(fig.summary == "figure \"line\" (1 panel, 1 series)")
    #expect(sink.text == "figure \"line\" (1 panel, 1 series)\n")
    #expect(session.globals.first { $0.name == "ans" }?.summary == "figure \"line\" (1 panel, 1 series)")
  }

  @Test func settingsAreKeptPerSession() {
    let a = ScriptSession(output: CapturingSink())
    let b = ScriptSession(output: CapturingSink())
    a.bindingSettings.figureDisplay = .summary
    #expect(b.bindingSettings.figureDisplay == .text(columns: nil, rows: nil))
    #expect(a.bindingSettings === a.interpreter.bindingSettings)
  }
}
