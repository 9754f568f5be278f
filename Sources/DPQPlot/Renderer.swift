import DPQData
import Foundation

/// Where `render(to:)` draws a figure.
public enum RenderTarget: Equatable, Sendable {
  /// Text art for a terminal, `columns` x `rows` characters; nil takes the terminal's size.
  case terminal(columns: Int? = nil, rows: Int? = nil)
  /// Sixel graphics for terminals that show them; nil takes the figure's size.
  case sixel(width: Int? = nil, height: Int? = nil)
  case png(path: String)
  case svg(path: String)

  /// Text art at the terminal's size.
  public static var terminal: RenderTarget { .terminal(columns: nil, rows: nil) }

  /// The file target for `path`, chosen by its extension: .png, .svg, or .txt (text art).
  public static func file(_ path: String) throws -> RenderTarget {
    switch (path as NSString).pathExtension.lowercased() {
    case "png": return .png(path: path)
    case "svg": return .svg(path: path)
    default: throw PlotError.unsupportedFormat(path: path)
    }
  }
}

/// The size of the terminal in character cells, for text-art plots.
public struct TerminalSize: Equatable, Sendable {
  public var columns: Int
  public var rows: Int

  public init(columns: Int, rows: Int) {
    self.columns = columns
    self.rows = rows
  }

  /// `window` (the terminal's size, which only the host can ask the terminal for; 80x24 without
  /// one), overridden by COLUMNS and LINES from the environment.
  public static func current(
    window: TerminalSize? = nil,
    environment: [String: String] = ProcessInfo.processInfo.environment
  ) -> TerminalSize {
    var size = window ?? TerminalSize(columns: 80, rows: 24)
    if let c = environment["COLUMNS"].flatMap(Int.init), c > 0 { size.columns = c }
    if let r = environment["LINES"].flatMap(Int.init), r > 0 { size.rows = r }
    return size
  }
}

/// Draws figures with gnuplot: writes the script and its data to a temporary directory, runs
/// gnuplot on it, and removes the directory.
public struct Renderer: Sendable {
  /// The gnuplot executable; nil means `DPQ_GNUPLOT` or `gnuplot` on PATH.
  public var executable: String?
  /// Seconds gnuplot may take before it is stopped.
  public var timeout: Double
  /// Treat gnuplot's warnings (anything it prints) as errors; tests use this to keep scripts clean.
  public var warningsAreErrors: Bool
  /// Polled while gnuplot draws; returning true (the REPL's Ctrl-C) stops gnuplot and makes
  /// `render` throw `PlotError.stopped`.
  public var shouldStop: (@Sendable () -> Bool)? = nil
  /// The size of the terminal the host draws text plots on (the REPL asks its terminal; nil:
  /// 80x24), read at each draw; COLUMNS and LINES override it.
  public var terminalWindow: (@Sendable () -> TerminalSize?)? = nil

  public init(executable: String? = nil, timeout: Double = 120, warningsAreErrors: Bool = false) {
    self.executable = executable
    self.timeout = timeout
    self.warningsAreErrors = warningsAreErrors
  }

  /// Draws `figure` on `target`. Returns the text for `.terminal` (form feeds and trailing
  /// blanks removed) and `.sixel` (the escape sequence to print), or the path of the file written.
  @discardableResult
  public func render(_ figure: Figure, to target: RenderTarget) throws -> String {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let textOutput = directory + "/output.txt"
    let terminal: GnuplotTerminal
    let output: String
    switch target {
    case .terminal(let columns, let rows):
      let size =
        (columns == nil || rows == nil)
        ? TerminalSize.current(window: terminalWindow?()) : TerminalSize(columns: 80, rows: 24)
      // One row is left for the prompt that follows the plot.
      terminal = .dumb(columns: columns ?? size.columns, rows: rows ?? max(size.rows - 1, 8))
      output = textOutput
    case .sixel(let width, let height):
      terminal = .sixel(width: width ?? figure.width, height: height ?? figure.height)
      output = textOutput
    case .png(let path):
      // gnuplot draws into the scratch directory; the file is checked and then copied into
      // place atomically: gnuplot exits 0 after a short write (a full disk left a truncated PNG
      // in place of the old one), and a failure must not remove the old file
      try Renderer.plotError(path) { try AtomicWriter.checkDestination(path) }
      terminal = .png(width: figure.width, height: figure.height)
      output = directory + "/figure.png"
    case .svg(let path):
      try Renderer.plotError(path) { try AtomicWriter.checkDestination(path) }
      terminal = .svg(width: figure.width, height: figure.height)
      output = directory + "/figure.svg"
    }

    let script = try figure.gnuplotScript(terminal: terminal, output: output, dataDirectory: directory)
    for file in script.dataFiles { try write(file.contents, to: file.path) }
    let scriptPath = directory + "/figure.gp"
    try write(script.text, to: scriptPath)
    try run(scriptPath: scriptPath)

    switch target {
    case .terminal:
      return Renderer.cleanTextArt(try read(textOutput))
    case .sixel:
      return try read(textOutput)
    case .png(let path), .svg(let path):
      try Renderer.checkComplete(output, png: output.hasSuffix(".png"))
      try Renderer.plotError(path) { try AtomicWriter.copy(output, to: path) }
      return path
    }
  }

  /// Writes `figure` to `path` in the format its extension names (.png, .svg, or .txt for text
  /// art at 100x32 characters).
  public func save(_ figure: Figure, to path: String) throws {
    if (path as NSString).pathExtension.lowercased() == "txt" {
      let text = try render(figure, to: .terminal(columns: 100, rows: 32))
      try Renderer.plotError(path) { try AtomicWriter.write(path, text: text) }
      return
    }
    try render(figure, to: try RenderTarget.file(path))
  }

  /// Waits for gnuplot; with `shouldStop`, polls it every 20 ms and kills gnuplot when it says so.
  private func finish(_ session: GnuplotSession) throws -> String {
    guard let stop = shouldStop, let pid = session.processID else { return try session.finish(timeout: timeout) }
    final class Outcome: @unchecked Sendable {
      var result: Result<String, Error> = .success("")
      let session: GnuplotSession
      init(_ session: GnuplotSession) { self.session = session }
    }
    let outcome = Outcome(session)
    let done = DispatchSemaphore(value: 0)
    let timeout = self.timeout
    Thread {
      outcome.result = Result { try outcome.session.finish(timeout: timeout) }
      done.signal()
    }.start()
    var stopped = false
    repeat {
      if !stopped && stop() {
        stopped = true
        kill(pid_t(pid), SIGKILL)
      }
    } while done.wait(timeout: .now() + .milliseconds(20)) == .timedOut
    if stopped { throw PlotError.stopped }
    // gnuplot failed while a stop was requested (it was killed by another route, or the
    // request came as it exited): that is the stop, not an unexpected failure
    if case .failure = outcome.result, stop() { throw PlotError.stopped }
    return try outcome.result.get()
  }

  /// Runs gnuplot on a script file. `load` (rather than piping the script) makes gnuplot name the
  /// script file and line in its error messages.
  func run(scriptPath: String) throws {
    let session = try GnuplotSession(executable: executable)
    try session.send("load \(quote(scriptPath))")
    let messages = try finish(session)
    if warningsAreErrors && !messages.isEmpty { throw PlotError.gnuplotFailed(message: messages) }
  }

  /// Runs a file operation of DPQData, reporting its failure as a `PlotError` for `path`.
  static func plotError(_ path: String, _ body: () throws -> Void) throws {
    do { try body() } catch DataError.writeFailed(_, let reason) {
      throw PlotError.fileError(path: path, reason: "cannot write: \(reason)")
    }
  }

  /// Refuses a figure file gnuplot left short: a PNG must end with its IEND chunk, an SVG with
  /// its closing tag.
  static func checkComplete(_ path: String, png: Bool) throws {
    guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
      throw PlotError.fileError(path: path, reason: "gnuplot wrote no output")
    }
    let iend: [UInt8] = [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]
    let complete =
      png
      ? Array(data.suffix(8)) == iend
      : String(decoding: data.suffix(64), as: UTF8.self).contains("</svg>")
    guard complete else {
      throw PlotError.fileError(
        path: path, reason: "gnuplot's output is truncated (\(data.count) bytes; is the disk full?)")
    }
  }

  /// Text art without gnuplot's leading form feed and the blanks it pads lines with.
  static func cleanTextArt(_ text: String) -> String {
    var lines = text.replacingOccurrences(of: "\u{0C}", with: "")
      .split(separator: "\n", omittingEmptySubsequences: false)
      .map { line -> Substring in
        var l = line
        while l.last == " " || l.last == "\r" { l.removeLast() }
        return l
      }
    while lines.first?.isEmpty == true { lines.removeFirst() }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n") + "\n"
  }

  private func makeTemporaryDirectory() throws -> String {
    let base = NSTemporaryDirectory()
    var template = Array(((base as NSString).appendingPathComponent("dpq-plot-XXXXXX")).utf8CString)
    guard let made = mkdtemp(&template) else {
      throw PlotError.fileError(
        path: base, reason: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
    }
    return String(cString: made)
  }

  private func write(_ text: String, to path: String) throws {
    do {
      try text.write(toFile: path, atomically: false, encoding: .utf8)
    } catch {
      throw PlotError.fileError(path: path, reason: "cannot write: \(error.localizedDescription)")
    }
  }

  private func read(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw PlotError.fileError(path: path, reason: "gnuplot wrote no output")
    }
    return String(decoding: data, as: UTF8.self)
  }
}

extension Figure {
  /// Draws the figure with the default renderer; see `Renderer.render(_:to:)`.
  @discardableResult
  public func render(to target: RenderTarget, renderer: Renderer = Renderer()) throws -> String {
    try renderer.render(self, to: target)
  }

  /// Writes the figure to `path` (.png, .svg or .txt) with the default renderer.
  public func save(to path: String, renderer: Renderer = Renderer()) throws {
    try renderer.save(self, to: path)
  }
}

/// Writes `figure` to `path`, choosing PNG, SVG or text art by the extension.
public func save(_ figure: Figure, to path: String) throws {
  try Renderer().save(figure, to: path)
}
