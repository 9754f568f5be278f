import DPQBindings
import DPQLanguage
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
    #expect(notebook.cells[3].source.hasPrefix("total = square(xs[2]) + 1\ntotal "))
    #expect(notebook.cells[3].source.hasSuffix("xs;                      # not after a semicolon"))
  }

  @Test func codeBeforeTheFirstMarkerAndHeaderVariants() {
    let text = "x = 1\n\n# %%   [md]\n#prose\n#\n# %%\n\n\n# %%ignored\ny = 2\n# %% Title [markdown]\n# more\n"
    let cells = Notebook(parsing: text).cells
    #expect(
      cells == [
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

  @Test func anInterruptedCellEndsTheRunEvenWithKeepGoing() throws {
    let dir = try temporaryDirectory("interrupted")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var o = options(dir)
    o.keepGoing = true
    o.shouldStop = { true } // as if Ctrl-C came during the second cell: straight-line code never polls
    let source = "# %%\nx = 1\nprint(x)\n# %%\nwhile true { x += 1 }\n# %%\nprint(\"third\")\n"
    let outcome = try NotebookRunner(options: o).run(source: source, file: "stop.dpq")
    #expect(outcome.interrupted)
    #expect(outcome.failures.count == 1)
    #expect(outcome.failures.first?.diagnostics.first?.location.line == 5)
    #expect(outcome.report.contains("```text\n1\n```"))
    #expect(outcome.report.contains("stop.dpq:5:1: error: interrupted"))
    #expect(outcome.report.hasSuffix("```dpq\nprint(\"third\")\n```\n\n*Not run: the run was interrupted.*\n"))
  }

  @Test func aStopWhileAFigureIsDrawnInterruptsTheRun() throws {
    guard
      FileManager.default.isExecutableFile(atPath: "/usr/bin/gnuplot")
        || ProcessInfo.processInfo.environment["DPQ_GNUPLOT"] != nil
    else {
      print("skipping the figure test: gnuplot is not installed (scripts/setup installs gnuplot-nox)")
      return
    }
    let dir = try temporaryDirectory("figure-stop")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var o = options(dir)
    o.shouldStop = { true }
    let source = "# %%\nfig = plot([1, 4, 9])\nfig\n# %%\nprint(\"later\")\n"
    let outcome = try NotebookRunner(options: o).run(source: source, file: "fig.dpq")
    #expect(outcome.interrupted)
    #expect(outcome.figurePaths.isEmpty)
    #expect(outcome.failures.first?.diagnostics.first?.location.line == 3)
    #expect(outcome.report.hasSuffix("```dpq\nprint(\"later\")\n```\n\n*Not run: the run was interrupted.*\n"))
  }

  @Test func figuresAreDrawnBesideTheReportAndLinked() throws {
    guard
      FileManager.default.isExecutableFile(atPath: "/usr/bin/gnuplot")
        || ProcessInfo.processInfo.environment["DPQ_GNUPLOT"] != nil
    else {
      print("skipping the figure test: gnuplot is not installed (scripts/setup installs gnuplot-nox)")
      return
    }
    let dir = try temporaryDirectory("figures")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let outcome = try NotebookRunner(options: options(dir + "/out")).run(
      source: try Paths.fixture("figures.dpq"), file: "figures.dpq")
    #expect(outcome.succeeded, "\(outcome.failures)")
    #expect(outcome.figurePaths == [dir + "/out/figures-1.png", dir + "/out/figures-2.png"])
    for path in outcome.figurePaths {
      let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
      #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(path) is not a PNG")
    }
    #expect(
      outcome.report.hasSuffix(
        """
        ```text
        figure "squares" (1 panel, 1 series)
        ```

        ![squares](figures-1.png)

        ```text
        between
        figure "" (1 panel, 1 series)
        ```

        ![figure 2](figures-2.png)

        """))
  }

  @Test func aFigureThatCannotBeDrawnFailsItsCell() throws {
    let dir = try temporaryDirectory("no-gnuplot")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let source = "# %%\nplot_settings(gnuplot: \"/nonexistent/gnuplot\");\nplot([1, 2])\nprint(\"not reached\")\n"
    let outcome = try NotebookRunner(options: options(dir)).run(source: source, file: "nogp.dpq")
    #expect(outcome.failures.count == 1)
    let message = outcome.failures.first?.description ?? ""
    #expect(message.hasPrefix("nogp.dpq:3:1: error: cannot draw the figure: "))
    #expect(outcome.report.contains("```text\nfigure \"\" (1 panel, 1 series)\n```\n\n**Error:**"))
    #expect(!outcome.report.contains("not reached\n```"))
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
