import DPQBindings
import DPQLanguage
import DPQPlot
import Foundation

/// `dpq kernel-server`: one long-lived REPL session driven by JSON lines, for the Jupyter kernel
/// in python/dpq_kernel (docs/jupyter.md has the protocol). Cells run as the notebook runner runs
/// them and `?name`, `:vars`, `:time`, `:reset` as the REPL does, through the same `Repl`,
/// `Completer`, help registry and `Interrupts`; this type only turns their output into messages.
///
/// Every request carries an `id`; the server answers with zero or more events (`stream`,
/// `display`, `result`, `error`) carrying the same id, then exactly one `reply`. Requests are
/// handled one at a time, in order. SIGINT stops the running cell (at its next statement, batch
/// or iteration) and keeps the session.
public final class KernelServer {
  public struct Options {
    public var version: String
    /// Also send figures as image/svg+xml (one more gnuplot run per figure).
    public var svg = false
    /// Seconds between progress lines within one unit of work (an epoch); each unit's summary
    /// line is sent when it ends, at most one a second (`KernelProgress`).
    public var progressInterval: Double = 10

    public init(version: String) { self.version = version }
  }

  let options: Options
  let channel: KernelChannel
  let session: ScriptSession
  let repl: Repl
  let completer: Completer
  let progress: KernelProgress
  /// The request whose output the sinks are sending (its id), set while it runs.
  let current = CurrentRequest()
  private var cellCount = 0

  /// Takes over standard input and output (see `KernelChannel`).
  public init(options: Options) {
    self.options = options
    channel = KernelChannel()
    let stdoutSink = StreamSink(name: "stdout", channel: channel, current: current)
    let stderrSink = StreamSink(name: "stderr", channel: channel, current: current)
    session = ScriptSession(output: stdoutSink)
    session.bindingSettings.figureDisplay = .summary // the figure itself goes as an image
    progress = KernelProgress(output: stdoutSink, statusInterval: options.progressInterval)
    session.progressReporter = progress
    repl = Repl(session: session, editor: ScriptedLineEditor(lines: []), output: stdoutSink, errors: stderrSink)
    completer = Completer(session: session)
  }

  /// Serves requests until `shutdown` or the end of input; returns the exit status.
  public func run() -> Int32 {
    Interrupts.install()
    KernelServer.unblockTermination()
    KernelServer.exitWhenNoOneListens(to: channel.outputDescriptor)
    channel.send(["type": "ready", "version": options.version, "language": "dpq", "protocol": 1])
    while let line = channel.readLine() {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
      guard let data = line.data(using: .utf8),
        let request = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
      else {
        channel.send([
          "type": "reply", "id": NSNull(), "status": "error", "message": "not a JSON object: \(line.prefix(80))",
        ])
        continue
      }
      let id = request["id"] ?? NSNull()
      current.id = id
      defer { current.id = NSNull() }
      switch request["type"] as? String {
      case "execute":
        reply(id, execute(request["code"] as? String ?? "", cell: request["cell"] as? Int))
      case "complete":
        reply(id, complete(request["code"] as? String ?? "", cursor: request["cursor"] as? Int))
      case "inspect":
        reply(id, inspect(request["code"] as? String ?? "", cursor: request["cursor"] as? Int))
      case "is_complete":
        reply(id, isComplete(request["code"] as? String ?? ""))
      case "shutdown":
        reply(id, ["status": "ok"])
        return 0
      default:
        reply(
          id, ["status": "error", "message": "unknown request type \(request["type"].map { "\($0)" } ?? "(none)")"])
      }
    }
    return 0
  }

  /// A launcher may start the server with signals blocked (Foundation's Process blocks them
  /// all); SIGTERM and SIGHUP must still end it, so a front end can always stop it.
  static func unblockTermination() {
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGTERM)
    sigaddset(&set, SIGHUP)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  /// Ends the process when no one reads its messages any more (the kernel died), also while a
  /// cell runs: `while true {}` would otherwise spin forever with no one left to interrupt it.
  /// The end of standard input alone does not mean that: `requests | dpq kernel-server` closes
  /// it after the last request, whose answer is still wanted.
  static func exitWhenNoOneListens(to output: Int32) {
    let thread = Thread {
      // a pipe's write end reports POLLERR once its reader is gone; no event needs asking for
      var descriptor = pollfd(fd: output, events: 0, revents: 0)
      while true {
        let n = poll(&descriptor, 1, -1)
        if n < 0 && errno == EINTR { continue }
        if n < 0 || descriptor.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 { break }
      }
      let message: StaticString = "dpq kernel-server: no one reads the messages any more; exiting\n"
      _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
      _exit(0)
    }
    thread.start()
  }

  private func reply(_ id: Any, _ fields: [String: Any]) {
    var message = fields
    message["type"] = "reply"
    message["id"] = id
    channel.send(message)
  }

  /// Runs a cell. A `?name` or `:command` cell goes to the REPL; code runs statement by
  /// statement: figures are sent as `display` events when shown, other shown values as
  /// `display` too except the last, which is the cell's `result` (and `ans`, as at the REPL).
  /// Diagnostics name the code `<cell-N>`: N is the front end's execution count when it sends
  /// one (`In [N]`), else the number of cells this server ran.
  func execute(_ code: String, cell: Int? = nil) -> [String: Any] {
    cellCount += 1
    if code.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return ["status": "ok"] }
    if let command = ReplCommand.parse(code) {
      if command == .quit {
        send(
          "stream",
          ["name": "stderr", "text": ":quit does nothing in a notebook: use the kernel's shutdown or restart\n"])
      } else {
        Interrupts.whileWorking { _ = repl.handle(code) }
      }
      return ["status": "ok"]
    }
    var last: Value?
    let file = "<cell-\(cell ?? cellCount)>"
    let result = Interrupts.whileWorking {
      CellExecution.run(code, file: file, firstLine: 1, in: session) { value, statement in
        if let previous = last { self.send("display", ["data": self.bundle(previous)]) }
        last = nil
        if case .host(let object as FigureObject) = value {
          try self.sendFigure(object, at: statement)
        } else {
          last = value
        }
      }
    }
    progress.flush() // the last epoch line held back, before the value and any error
    if let value = last {
      session.setAnswer(value)
      send("result", ["data": bundle(value)])
    }
    switch result {
    case .success:
      return ["status": "ok"]
    case .failure(let error):
      let interrupted = ScriptRunner.isInterruption(error)
      let text = interrupted ? "interrupted" : error.description
      let name = interrupted ? "Interrupted" : KernelServer.errorName(error)
      send(
        "error",
        [
          "ename": name, "evalue": KernelServer.message(of: error),
          "traceback": text.components(separatedBy: "\n"),
        ])
      return ["status": "error", "ename": name, "evalue": KernelServer.message(of: error)]
    }
  }

  /// text/plain as the REPL prints the value, text/html too when it holds tables.
  func bundle(_ value: Value) -> [String: Any] {
    let text = session.interpreter.display(of: value)
    var data: [String: Any] = ["text/plain": text]
    if let html = HTMLTable.html(for: text) { data["text/html"] = html }
    return data
  }

  /// Draws a figure to PNG (and SVG) in a temporary directory and sends it as a `display`.
  func sendFigure(_ object: FigureObject, at statement: Stmt) throws {
    let directory = NSTemporaryDirectory() + "dpq-kernel-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    // the files are read back into the message at once; nothing of them stays in /tmp
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var data: [String: Any] = ["text/plain": session.interpreter.display(of: .host(object))]
    var formats = [("image/png", "png")]
    if options.svg { formats.append(("image/svg+xml", "svg")) }
    for (mime, ext) in formats {
      let path = directory + "/figure.\(ext)"
      do {
        _ = try session.bindingSettings.renderer.render(
          object.figure, to: ext == "png" ? .png(path: path) : .svg(path: path))
      } catch PlotError.stopped {
        throw ScriptError.interrupted(Diagnostic(message: "interrupted", location: statement.location))
      } catch {
        throw ScriptError.runtime(Diagnostic(message: "cannot draw the figure: \(error)", location: statement.location))
      }
      guard let bytes = FileManager.default.contents(atPath: path) else {
        throw ScriptError.runtime(
          Diagnostic(message: "cannot read the drawn figure \(path)", location: statement.location))
      }
      try? FileManager.default.removeItem(atPath: path)
      data[mime] = ext == "png" ? bytes.base64EncodedString() : String(decoding: bytes, as: UTF8.self)
    }
    send("display", ["data": data])
  }

  /// Completion of the text before `cursor` (Unicode scalars, as Jupyter counts), from the
  /// REPL's completer: names, attributes, keyword names, paths in strings, `:commands`.
  func complete(_ code: String, cursor: Int?) -> [String: Any] {
    let scalars = Array(code.unicodeScalars)
    let end = min(max(cursor ?? scalars.count, 0), scalars.count)
    let before = String(String.UnicodeScalarView(scalars[..<end]))
    // the whole cell before the cursor, as the REPL passes its whole entry: keyword names of a
    // call that spans lines need the call's start
    let completions = completer.complete(before)
    return [
      "status": "ok", "matches": completions.candidates,
      "cursor_start": end - completions.word.unicodeScalars.count, "cursor_end": end,
    ]
  }

  /// `?name` for the dotted name at or before `cursor`.
  func inspect(_ code: String, cursor: Int?) -> [String: Any] {
    guard let name = KernelServer.name(in: code, at: cursor) else { return ["status": "ok", "found": false] }
    let text = session.help(name)
    let found = !text.hasPrefix("no help for")
    return ["status": "ok", "found": found, "name": name, "data": found ? ["text/plain": text] : [:]]
  }

  /// The dotted identifier around `cursor` (`model.codebook` in `model.codeb|ook(1)`); a cursor
  /// just after `(` names the function being called.
  static func name(in code: String, at cursor: Int?) -> String? {
    let scalars = Array(code.unicodeScalars)
    var end = min(max(cursor ?? scalars.count, 0), scalars.count)
    func isNameScalar(_ c: Unicode.Scalar) -> Bool {
      c == "_" || c == "." || CharacterSet.alphanumerics.contains(c)
    }
    if end > 0, scalars[end - 1] == "(" { end -= 1 }
    var start = end
    while start > 0, isNameScalar(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, isNameScalar(scalars[end]) { end += 1 }
    let name = String(String.UnicodeScalarView(scalars[start..<end])).trimmingCharacters(
      in: CharacterSet(charactersIn: "."))
    return name.isEmpty ? nil : name
  }

  /// `incomplete` while a block, bracket or string is open (the REPL's continuation rule).
  func isComplete(_ code: String) -> [String: Any] {
    if ReplCommand.parse(code) != nil { return ["status": "complete"] }
    return ScriptSession.isIncomplete(code) ? ["status": "incomplete", "indent": "  "] : ["status": "complete"]
  }

  private func send(_ type: String, _ fields: [String: Any]) {
    var message = fields
    message["type"] = type
    message["id"] = current.id
    channel.send(message)
  }

  /// `SyntaxError`, `RuntimeError`, ...: the kind of a script error, for Jupyter's `ename`.
  static func errorName(_ error: ScriptError) -> String {
    switch error {
    case .syntax: return "SyntaxError"
    case .interrupted: return "Interrupted"
    default: return "RuntimeError"
    }
  }

  /// The first diagnostic's message, for Jupyter's `evalue`.
  static func message(of error: ScriptError) -> String {
    let first = error.description.components(separatedBy: "\n").first ?? ""
    if let range = first.range(of: "error: ") { return String(first[range.upperBound...]) }
    return first
  }
}

/// The id of the request being served, read by the sinks on the cell's thread.
final class CurrentRequest: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Any = NSNull()

  var id: Any {
    get {
      lock.lock()
      defer { lock.unlock() }
      return value
    }
    set {
      lock.lock()
      value = newValue
      lock.unlock()
    }
  }
}

/// Script output as `stream` events of the current request.
final class StreamSink: OutputSink {
  let name: String
  let channel: KernelChannel
  let current: CurrentRequest

  init(name: String, channel: KernelChannel, current: CurrentRequest) {
    self.name = name
    self.channel = channel
    self.current = current
  }

  func write(_ text: String) {
    guard !text.isEmpty else { return }
    channel.send(["type": "stream", "id": current.id, "name": name, "text": text])
  }
}
