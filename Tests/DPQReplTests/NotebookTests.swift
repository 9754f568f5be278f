import DPQScript
import Foundation
import Testing
@testable import DPQRepl

/// Splitting notebooks into cells, and the runner's report (golden), figures and failures.
@Suite struct NotebookTests {
  @Test func splitsTheFixtureIntoCells() throws {
    let notebook = Notebook(parsing: try Paths.fixture("notebook.dpq"))
    #expect(notebook.cells.map(\.kind) == [.markdown, .code, .markdown, .code])
    #expect(notebook.cells.map(\.firstLine) == [2, 7, 12, 15])
    #expect(notebook.cells[0].source == "# A tiny notebook\n\nProse cells are comments; code cells run in one session.")
    #expect(notebook.cells[1].title == "Setup")
    #expect(notebook.cells[3].source == "total = square(xs[2]) + 1\nprint(\"total = {total}\")")
  }

  @Test func codeBeforeTheFirstMarkerAndHeaderVariants() {
    let text = "x = 1\n\n# %%   [md]\n#prose\n#\n# %%\n\n\n# %%ignored\ny = 2\n# %% Title [markdown]\n# more\n"
    let cells = Notebook(parsing: text).cells
    #expect(cells == [
      .init(kind: .code, source: "x = 1", firstLine: 1),
      .init(kind: .markdown, source: "#prose", firstLine: 4),
      .init(kind: .code, source: "# %%ignored\ny = 2", firstLine: 9),
      .init(kind: .markdown, title: "Title", source: "more", firstLine: 12),
    ])
  }

  /// Options with a fixed date and a clock that advances 0.25 s per reading.
  func options(_ directory: String) -> NotebookRunner.Options {
    var o = NotebookRunner.Options(outputDirectory: directory, version: "9.9.9")
    o.date = Date(timeIntervalSince1970: 1_700_000_000)
    let ticks = Counter()
    o.clock = { ticks.next() * 0.25 }
    return o
  }

  @Test func reportMatchesTheGoldenFile() throws {
    let dir = try temporaryDirectory("notebook")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let runner = NotebookRunner(options: options(dir))
    var log: [String] = []
    runner.log = { log.append($0) }
    let outcome = try runner.run(source: try Paths.fixture("notebook.dpq"), file: "notebook.dpq")
    #expect(outcome.succeeded)
    #expect(outcome.reportPath == dir + "/notebook.md")
    let written = try String(contentsOfFile: outcome.reportPath, encoding: .utf8)
    #expect(written == outcome.report)
    #expect(written == (try Paths.fixture("notebook.golden.md")))
    #expect(log == ["[1/2] line 7: 250 ms", "[2/2] line 15: 250 ms"])
  }

  @Test func aFailingCellStopsTheRunUnlessKeepGoing() throws {
    let dir = try temporaryDirectory("failing")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let source = try Paths.fixture("failing.dpq")
    let stopped = try NotebookRunner(options: options(dir)).run(source: source, file: "failing.dpq")
    #expect(stopped.failures.count == 1)
    #expect(stopped.failures.first?.diagnostics.first?.location.line == 10)
    #expect(stopped.report == (try Paths.fixture("failing.golden.md")))

    var o = options(dir)
    o.keepGoing = true
    let continued = try NotebookRunner(options: o).run(source: source, file: "failing.dpq")
    #expect(!continued.succeeded)
    #expect(continued.report.contains("```text\nthird cell\n```"))
    #expect(!continued.report.contains("Not run"))
  }

  /// `show_figure(title)` and `save_figure(path)`: fake plotting builtins that go through the
  /// `FigureSink` hook as the real `plot`/`save` do.
  static var figureBuiltins: [Builtin] {
    let write: (String) throws -> Void = { path in try Data("PNG".utf8).write(to: URL(fileURLWithPath: path)) }
    return [
      Builtin("show_figure", family: "test", parameters: [Parameter("title", .string)], summary: "Shows a fake figure.",
              example: "show_figure(\"a\")") { a in
        try a.interpreter.show(FigureEvent(action: .shown, title: try a.string("title"), write: write, text: { _, _ in "[figure]" }))
        return .nilValue
      },
      Builtin("save_figure", family: "test", parameters: [Parameter("path", .string)], summary: "Saves a fake figure.",
              example: "save_figure(\"a.svg\")") { a in
        let path = try a.string("path")
        try Data("SVG".utf8).write(to: URL(fileURLWithPath: path))
        try a.interpreter.show(FigureEvent(action: .saved(path: path), title: "saved", write: write, text: { _, _ in "" }))
        return .nilValue
      },
    ]
  }

  @Test func figuresAreWrittenBesideTheReportAndLinked() throws {
    let dir = try temporaryDirectory("figures")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var o = options(dir + "/out")
    o.extraBuiltins = NotebookTests.figureBuiltins
    let source = try Paths.fixture("figures.dpq") + "\n# %%\nsave_figure(\"\(dir)/pr.svg\")\n"
    let outcome = try NotebookRunner(options: o).run(source: source, file: "figures.dpq")
    #expect(outcome.succeeded)
    #expect(outcome.figurePaths == ["figures-1.png", "figures-2.png", "figures-3.svg"].map { dir + "/out/" + $0 })
    #expect(try String(contentsOfFile: dir + "/out/figures-3.svg", encoding: .utf8) == "SVG")
    #expect(outcome.report.contains("```text\nshown\n```\n\n![loss](figures-1.png)\n\n![figure 2](figures-2.png)"))
    #expect(outcome.report.contains("![saved](figures-3.svg)"))
  }

  @Test func withoutAFigureSinkAShownFigureIsTextArt() {
    var registry = HostBuiltins.registry()
    for b in NotebookTests.figureBuiltins { registry.register(b) }
    let sink = StringOutputSink()
    let session = ScriptSession(output: sink, registry: registry)
    _ = session.evaluate(entry: "show_figure(\"t\")")
    #expect(sink.text == "[figure]\n")
  }
}

/// A thread-safe counter for the fake clock.
final class Counter: @unchecked Sendable {
  private var value = 0.0
  private let lock = NSLock()
  func next() -> Double {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}
