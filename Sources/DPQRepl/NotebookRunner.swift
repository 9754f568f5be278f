import DPQScript
import Foundation

/// Runs a notebook's code cells in order in one session and writes a Markdown report,
/// `DIR/<name>.md`: a header (file, date, dpq version, total time), the prose, each code cell in
/// a ```dpq block followed by its output, and the figures it showed or saved as images beside
/// the report (`<name>-1.png`, ...). A failing cell's diagnostic is shown in the report; the run
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
    /// Builtins added to the session's registry (tests add fake figures).
    public var extraBuiltins: [Builtin] = []

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

    public var succeeded: Bool { failures.isEmpty }
  }

  public let options: Options
  /// Called with a line per cell as the run goes (`dpq notebook` prints them).
  public var log: (String) -> Void = { _ in }

  public init(options: Options) { self.options = options }

  /// Runs the notebook at `path` (named as given in diagnostics) and writes its report.
  public func run(file path: String) throws -> Outcome {
    guard let data = FileManager.default.contents(atPath: path) else { throw ReplError.unreadable(path: path) }
    return try run(source: String(decoding: data, as: UTF8.self), file: path)
  }

  /// Runs notebook text as if read from `file` and writes the report named after `file`.
  public func run(source: String, file: String) throws -> Outcome {
    let notebook = Notebook(parsing: source)
    let name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
    let directory = options.outputDirectory
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
      throw ReplError.cannotWrite(path: directory, reason: error.localizedDescription)
    }
    let sink = NotebookSink(directory: directory, baseName: name)
    var registry = HostBuiltins.registry(arguments: options.arguments)
    for builtin in options.extraBuiltins { registry.register(builtin) }
    let session = ScriptSession(output: sink, registry: registry)
    session.interpreter.workingDirectory = (file as NSString).deletingLastPathComponent.isEmpty
      ? nil : (file as NSString).deletingLastPathComponent

    let start = options.clock()
    var parts: [String] = []
    var failures: [ScriptError] = []
    let codeCells = notebook.cells.filter { $0.kind == .code }.count
    var codeIndex = 0
    for cell in notebook.cells {
      switch cell.kind {
      case .markdown:
        if !cell.source.isEmpty { parts.append(cell.source) }
      case .code:
        codeIndex += 1
        var part = "```dpq\n\(cell.source)\n```"
        if !failures.isEmpty && !options.keepGoing {
          parts.append(part + "\n\n*Not run: an earlier cell failed.*")
          continue
        }
        let cellStart = options.clock()
        let result = session.run(source: cell.source, file: file, firstLine: cell.firstLine)
        let seconds = options.clock() - cellStart
        let (text, figures) = sink.take()
        if !text.isEmpty { part += "\n\n```text\n" + (text.hasSuffix("\n") ? text : text + "\n") + "```" }
        for figure in figures { part += "\n\n![\(figure.title)](\(figure.fileName))" }
        if case .failure(let error) = result {
          failures.append(error)
          part += "\n\n**Error:**\n\n```text\n\(error.description)\n```"
          log("[\(codeIndex)/\(codeCells)] line \(cell.firstLine): error after \(Repl.formatDuration(seconds))")
        } else {
          log("[\(codeIndex)/\(codeCells)] line \(cell.firstLine): \(Repl.formatDuration(seconds))")
        }
        parts.append(part)
      }
    }
    let total = options.clock() - start
    let header = "*`\((file as NSString).lastPathComponent)` run on \(NotebookRunner.dateText(options.date)) "
      + "with dpq \(options.version) in \(Repl.formatDuration(total)).*"
    let report = ([header] + parts).joined(separator: "\n\n") + "\n"
    let reportPath = (directory as NSString).appendingPathComponent(name + ".md")
    do {
      try report.write(toFile: reportPath, atomically: true, encoding: .utf8)
    } catch {
      throw ReplError.cannotWrite(path: reportPath, reason: error.localizedDescription)
    }
    return Outcome(reportPath: reportPath, report: report, cellCount: codeCells,
                   figurePaths: sink.allFigures.map { (directory as NSString).appendingPathComponent($0) },
                   failures: failures, seconds: total)
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

/// Collects a cell's output, and writes the figures it shows or saves into the report's
/// directory as `<name>-<n>.png` (a saved SVG stays SVG).
final class NotebookSink: FigureSink {
  struct Figure {
    var title: String
    var fileName: String
  }

  let directory: String
  let baseName: String
  private var text = ""
  private var figures: [Figure] = []
  private(set) var allFigures: [String] = []

  init(directory: String, baseName: String) {
    self.directory = directory
    self.baseName = baseName
  }

  func write(_ s: String) { text += s }

  func show(_ figure: FigureEvent) throws {
    var fileExtension = "png"
    if case .saved(let path) = figure.action, (path as NSString).pathExtension.lowercased() == "svg" { fileExtension = "svg" }
    let fileName = "\(baseName)-\(allFigures.count + 1).\(fileExtension)"
    let target = (directory as NSString).appendingPathComponent(fileName)
    if case .saved(let path) = figure.action, FileManager.default.fileExists(atPath: path),
       (path as NSString).pathExtension.lowercased() == fileExtension {
      try? FileManager.default.removeItem(atPath: target)
      try FileManager.default.copyItem(atPath: path, toPath: target)
    } else {
      try figure.write(target)
    }
    allFigures.append(fileName)
    figures.append(Figure(title: figure.title.isEmpty ? "figure \(allFigures.count)" : figure.title, fileName: fileName))
  }

  /// The output and figures since the last call.
  func take() -> (String, [Figure]) {
    defer {
      text = ""
      figures = []
    }
    return (text, figures)
  }
}
