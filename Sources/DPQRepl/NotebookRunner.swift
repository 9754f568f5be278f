import DPQBindings
import DPQData
import DPQLanguage
import DPQPlot
import Foundation

/// Runs a notebook's code cells in order in one session and writes a Markdown report,
/// `DIR/<name>.md`: a header (file, date, dpq version, total time), the prose, each code cell in
/// a ```dpq block followed by its output, and the figures it showed as PNG images beside the
/// report (`<name>-1.png`, ...). As at the REPL, every top-level expression of a cell shows its
/// value (not after `;`); a figure shows as its summary line and its image. A failing cell's diagnostic is shown in the report; the run
/// stops there unless `keepGoing`, and the remaining cells are listed as not run.
public final class NotebookRunner {
  public struct Options {
    /// Where the report and the figures go; created when missing.
    public var outputDirectory: String
    /// Run the remaining cells after a failing one.
    public var keepGoing = false
    /// Shown in the report's header.
    public var version: String
    /// The date in the header (tests fix it).
    public var date = Date()
    /// Seconds on a monotonic clock (tests fix it).
    public var clock: () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    /// Arguments for `args()`.
    public var arguments: [String] = []
    /// Builtins added to the session's registry.
    public var extraBuiltins: [Builtin] = []
    /// Where long work shows its progress while the notebook runs (`dpq notebook`: the
    /// terminal); nil for nowhere. Summary lines go into the report either way.
    public var liveProgress: ProgressReporter? = nil
    /// The stop request (Ctrl-C) polled while cells run and gnuplot draws their figures; an
    /// interrupted cell ends the run, with `--keep-going` too, and the report is still written.
    public var shouldStop: (@Sendable () -> Bool)? = nil
    /// Also write `DIR/<name>.ipynb`: the cells with their outputs, for Jupyter (`--to ipynb`).
    public var writesIpynb = false

    public init(outputDirectory: String, version: String) {
      self.outputDirectory = outputDirectory
      self.version = version
    }
  }

  /// What a run produced.
  public struct Outcome {
    /// The path of the Markdown report.
    public var reportPath: String
    /// The report's text.
    public var report: String
    public var cellCount: Int
    public var figurePaths: [String]
    /// The diagnostics of failing cells, in order.
    public var failures: [ScriptError]
    public var seconds: Double
    /// The .ipynb written with `writesIpynb`, else nil.
    public var notebookPath: String? = nil

    public var succeeded: Bool { failures.isEmpty }
    /// True when a stop request (Ctrl-C) ended the run.
    public var interrupted: Bool { failures.contains { ScriptRunner.isInterruption($0) } }
  }

  public let options: Options
  /// Called with a line per cell as the run goes (`dpq notebook` prints them).
  public var log: (String) -> Void = { _ in }

  public init(options: Options) { self.options = options }

  /// A cell as run: what it showed, its failure, and whether it ran at all.
  struct RunCell {
    var cell: Notebook.Cell
    var outputs: [CellOutput.Piece] = []
    var error: ScriptError? = nil
    var ran = false
  }

  /// Runs the notebook at `path` (named as given in diagnostics) and writes its report: a
  /// `# %%` script, or a Jupyter notebook when the name ends in `.ipynb`.
  public func run(file path: String) throws -> Outcome {
    guard let data = FileManager.default.contents(atPath: path) else { throw ReplError.unreadable(path: path) }
    if path.lowercased().hasSuffix(".ipynb") {
      return try run(notebook: Ipynb.notebook(parsing: data, file: path), file: path)
    }
    return try run(source: String(decoding: data, as: UTF8.self), file: path)
  }

  /// Runs notebook text as if read from `file` and writes the report named after `file`.
  public func run(source: String, file: String) throws -> Outcome {
    try run(notebook: Notebook(parsing: source), file: file)
  }

  /// Runs the cells of `notebook`, read from `file`, and writes the report named after `file`.
  public func run(notebook: Notebook, file: String) throws -> Outcome {
    let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
    let directory = options.outputDirectory
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ReplError.cannotWrite(path: directory, reason: error.localizedDescription)
    }
    let sink = CellOutput()
    var registry = BuiltinRegistry.standard()
    for builtin in options.extraBuiltins { registry.register(builtin) }
    let session = ScriptSession(output: sink, registry: registry)
    session.arguments = options.arguments
    session.bindingSettings.figureDisplay = .summary // the figure itself goes beside the report
    session.shouldStop = options.shouldStop
    session.bindingSettings.renderer.shouldStop = options.shouldStop
    session.progressReporter = NotebookProgress(cellOutput: sink, live: options.liveProgress)
    var figures: [String] = []

    /// A shown value: its text, and for a figure the PNG beside the report.
    func show(_ value: Value, _ statement: Stmt) throws {
      sink.write(session.interpreter.display(of: value) + "\n")
      guard case .host(let object as FigureObject) = value else { return }
      let fileName = "\(name)-\(figures.count + 1).png"
      do {
        try session.bindingSettings.renderer.render(
          object.figure, to: .png(path: (directory as NSString).appendingPathComponent(fileName)))
      } catch PlotError.stopped {
        throw ScriptError.interrupted(Diagnostic(message: "interrupted", location: statement.location))
      } catch {
        throw ScriptError.runtime(Diagnostic(message: "cannot draw the figure: \(error)", location: statement.location))
      }
      figures.append(fileName)
      sink.image(
        title: object.figure.title.isEmpty ? "figure \(figures.count)" : object.figure.title, fileName: fileName)
    }

    let start = options.clock()
    var parts: [String] = []
    var failures: [ScriptError] = []
    let codeCells = notebook.cells.filter { $0.kind == .code }.count
    var codeIndex = 0
    var runCells: [RunCell] = []
    for cell in notebook.cells {
      runCells.append(RunCell(cell: cell))
      switch cell.kind {
      case .markdown:
        if !cell.source.isEmpty { parts.append(cell.source) }
      case .code:
        codeIndex += 1
        var part = "```dpq\n\(cell.source)\n```"
        if failures.contains(where: ScriptRunner.isInterruption) {
          parts.append(part + "\n\n*Not run: the run was interrupted.*")
          continue
        }
        if !failures.isEmpty && !options.keepGoing {
          parts.append(part + "\n\n*Not run: an earlier cell failed.*")
          continue
        }
        let cellStart = options.clock()
        let result = CellExecution.run(
          cell.source, file: cell.file ?? file, firstLine: cell.firstLine, in: session, show: show)
        let seconds = options.clock() - cellStart
        let pieces = sink.take()
        runCells[runCells.count - 1].outputs = pieces
        runCells[runCells.count - 1].ran = true
        for piece in pieces {
          switch piece {
          case .text(let text): part += "\n\n```text\n" + (text.hasSuffix("\n") ? text : text + "\n") + "```"
          case .image(let title, let fileName): part += "\n\n![\(title)](\(fileName))"
          }
        }
        if case .failure(let error) = result {
          failures.append(error)
          runCells[runCells.count - 1].error = error
          part += "\n\n**Error:**\n\n```text\n\(error.description)\n```"
          log("[\(codeIndex)/\(codeCells)] line \(cell.firstLine): error after \(Repl.formatDuration(seconds))")
        } else {
          log("[\(codeIndex)/\(codeCells)] line \(cell.firstLine): \(Repl.formatDuration(seconds))")
        }
        parts.append(part)
      }
    }
    let total = options.clock() - start
    let header =
      "*`\((file as NSString).lastPathComponent)` run on \(NotebookRunner.dateText(options.date)) "
      + "with dpq \(options.version) in \(Repl.formatDuration(total)).*"
    let report = ([header] + parts).joined(separator: "\n\n") + "\n"
    let reportPath = (directory as NSString).appendingPathComponent(name + ".md")
    do {
      try AtomicWriter.write(reportPath, text: report)
    } catch {
      throw ReplError.cannotWrite(path: reportPath, reason: error.localizedDescription)
    }
    var notebookPath: String? = nil
    if options.writesIpynb {
      let path = (directory as NSString).appendingPathComponent(name + ".ipynb")
      do {
        // AtomicWriter, as every output: Foundation's .atomic write leaves a TemporaryDirectory.*
        // in /tmp and replaces symbolic links and permissions
        try AtomicWriter.write(
          path, bytes: [UInt8](Ipynb.document(runCells, directory: directory, version: options.version)))
      } catch {
        throw ReplError.cannotWrite(path: path, reason: error.localizedDescription)
      }
      notebookPath = path
    }
    return Outcome(
      reportPath: reportPath, report: report, cellCount: codeCells,
      figurePaths: figures.map { (directory as NSString).appendingPathComponent($0) },
      failures: failures, seconds: total, notebookPath: notebookPath)
  }

  /// `2025-11-27 12:00:03 UTC`.
  static func dateText(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    return formatter.string(from: date) + " UTC"
  }
}

/// A cell's output in order: text, and the images of the figures it showed.
final class CellOutput: OutputSink {
  enum Piece: Equatable {
    case text(String)
    case image(title: String, fileName: String)
  }

  private var pieces: [Piece] = []
  private var text = ""

  func write(_ s: String) { text += s }

  func image(title: String, fileName: String) {
    flush()
    pieces.append(.image(title: title, fileName: fileName))
  }

  /// The pieces since the last call.
  func take() -> [Piece] {
    flush()
    defer { pieces = [] }
    return pieces
  }

  private func flush() {
    if !text.isEmpty { pieces.append(.text(text)) }
    text = ""
  }
}

/// Progress of long work in a notebook: each unit's summary line (an epoch's log line) and
/// messages go into the cell's output; the live bar or periodic lines go to `live` (the
/// terminal), so the report does not depend on timing.
final class NotebookProgress: ProgressReporter {
  let cellOutput: OutputSink
  let live: ProgressReporter?

  init(cellOutput: OutputSink, live: ProgressReporter?) {
    self.cellOutput = cellOutput
    self.live = live
  }

  func begin(_ title: String, total: Int, unit: String) { live?.begin(title, total: total, unit: unit) }
  func update(completed: Int, detail: String) { live?.update(completed: completed, detail: detail) }

  func end(_ summary: String) {
    live?.end(summary)
    cellOutput.write(summary + "\n")
  }

  func message(_ text: String) {
    live?.message(text)
    cellOutput.write(text + "\n")
  }
}
