import DPQTensor
import Foundation

/// The host API: what the REPL, `dpq run`, the notebook runner and the tests use.
///
/// A session owns an interpreter and its globals. `run` executes a script; `evaluate(entry:)`
/// executes one REPL entry and prints its value unless the entry ends with `;`. Work runs on a
/// thread with a large stack, so deep (but bounded) recursion never overflows the caller's.
public final class ScriptSession {
  public let interpreter: Interpreter
  private var entryCount = 0

  /// Stack size of the thread scripts run on.
  static let stackSize = 64 << 20
  /// Stack kept free below the deepest script call, for the builtin it may call (8 MB, the
  /// size of a main thread's whole stack).
  static let stackReserve = 8 << 20

  public init(output: OutputSink, registry: BuiltinRegistry) {
    interpreter = Interpreter(registry: registry, output: output)
  }

  /// Polled during work; return true to stop it (Ctrl-C). The session stays usable.
  public var shouldStop: (@Sendable () -> Bool)? {
    get { interpreter.shouldStop }
    set { interpreter.shouldStop = newValue }
  }

  /// What `args()` returns.
  public var arguments: [String] {
    get { interpreter.arguments }
    set { interpreter.arguments = newValue }
  }

  /// What `env(name)` reads (the process's environment by default).
  public var environment: [String: String] {
    get { interpreter.environment }
    set { interpreter.environment = newValue }
  }

  /// Maximum loop iterations plus calls per `run`/`evaluate`; nil for none.
  public var stepLimit: Int? {
    get { interpreter.stepLimit }
    set { interpreter.stepLimit = newValue }
  }

  /// Runs a whole script. Syntax errors are all reported and nothing runs; a runtime error stops
  /// the script. Output goes to the sink. `firstLine` numbers the source from that line of `file`
  /// (a notebook cell), so diagnostics point into the file.
  @discardableResult
  public func run(source: String, file: String, firstLine: Int = 1) -> Result<Void, ScriptError> {
    onLargeStack {
      do {
        self.interpreter.resetSteps()
        let statements = try self.interpreter.parse(source, file: file, firstLine: firstLine)
        _ = try self.interpreter.executeTopLevel(statements)
        return .success(())
      } catch {
        return .failure(self.scriptError(error))
      }
    }
  }

  /// Reads and runs a script file; `load` inside it resolves paths relative to it.
  @discardableResult
  public func run(file path: String) -> Result<Void, ScriptError> {
    guard let data = FileManager.default.contents(atPath: path) else {
      return .failure(
        .runtime(Diagnostic(message: "cannot read '\(path)'", location: SourceLocation(file: path, line: 1, column: 1)))
      )
    }
    return run(source: String(decoding: data, as: UTF8.self), file: path)
  }

  /// Runs one REPL entry. When its last statement is an expression, its value is returned and,
  /// unless it is nil, stored in `ans` and written to the sink (not when the entry ends with `;`).
  @discardableResult
  public func evaluate(entry source: String) -> Result<Value?, ScriptError> {
    entryCount += 1
    let file = "<repl-\(entryCount)>"
    return onLargeStack {
      do {
        self.interpreter.resetSteps()
        let statements = try self.interpreter.parse(source, file: file)
        let value = try self.interpreter.executeTopLevel(statements)
        guard let v = value, case .expression(_, let silent)? = statements.last?.kind else { return .success(nil) }
        guard !v.isNil else { return .success(v) }
        self.interpreter.globals.values["ans"] = v
        if !silent { self.interpreter.write(self.interpreter.display(of: v) + "\n") }
        return .success(v)
      } catch {
        return .failure(self.scriptError(error))
      }
    }
  }

  /// True when `source` ends inside an open block, bracket or triple-quoted string, or after a
  /// binary operator: the REPL should read another line before running it.
  public static func isIncomplete(_ source: String) -> Bool {
    let (_, diagnostics) = Parser.parse(source, file: "<repl>")
    return diagnostics.first?.isEndOfInput ?? false
  }

  /// Forgets all globals, keeping builtins, the sink and the settings.
  public func reset() {
    interpreter.reset()
  }

  /// One global variable as `:vars` shows it.
  public struct GlobalInfo: Equatable {
    public var name: String
    public var typeName: String
    /// The shape for tensors, the length for lists, a short value otherwise.
    public var summary: String
  }

  /// The globals, sorted by name.
  public var globals: [GlobalInfo] {
    interpreter.globals.values.keys.sorted().compactMap { name in
      guard let v = interpreter.globals.values[name] else { return nil }
      return GlobalInfo(name: name, typeName: v.typeName, summary: ScriptSession.summary(of: v))
    }
  }

  static func summary(of v: Value) -> String {
    switch v {
    case .tensor(let t): return "[" + t.shape.map(String.init).joined(separator: ", ") + "]"
    case .list(let l): return "\(l.items.count) items"
    case .record(let r): return "{" + r.keys.joined(separator: ", ") + "}"
    case .function(let c): return "fn " + c.declaration.signature
    case .host(let h): return String(h.description.split(separator: "\n").first ?? "")
    default:
      let text = v.repr()
      return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
  }

  /// Help text for `?name` and `:help name`, from the registry.
  public func help(_ name: String? = nil) -> String {
    guard let name, !name.isEmpty else { return HelpRenderer.overview(interpreter.registry) }
    if let v = interpreter.globals.values[name] {
      return HelpRenderer.help(for: v, registry: interpreter.registry, interpreter: interpreter)
    }
    // `?t.sum` where t is a variable: the method of t's type
    if let dot = name.lastIndex(of: "."), let v = interpreter.globals.values[String(name[..<dot])],
      let b = interpreter.registry.method(String(name[name.index(after: dot)...]), on: v.typeName)
    {
      return HelpRenderer.entry(b)
    }
    return HelpRenderer.help(name, registry: interpreter.registry)
  }

  private func scriptError(_ error: Error) -> ScriptError {
    if let e = error as? ScriptError {
      if case .failure(let message) = e {
        return .runtime(Diagnostic(message: message, location: SourceLocation(file: "<script>", line: 1, column: 1)))
      }
      return e
    }
    return .runtime(
      Diagnostic(message: String(describing: error), location: SourceLocation(file: "<script>", line: 1, column: 1)))
  }

  /// Runs `body` on a thread of its own with a large stack (joined before this returns), with
  /// the interpreter's stack check set for that thread: calls deeper than the reserve below its
  /// top are refused with an error, so a script never overflows the native stack, whatever its
  /// nesting per call. A thread that cannot be started is a runtime error.
  public func onLargeStack<T>(_ body: @escaping () -> Result<T, ScriptError>) -> Result<T, ScriptError> {
    let interpreter = self.interpreter
    do {
      return try LargeStackThread.run(stackSize: ScriptSession.stackSize) {
        interpreter.lowestStackAddress =
          Interpreter.currentStackAddress() - UInt(ScriptSession.stackSize - ScriptSession.stackReserve)
        defer { interpreter.lowestStackAddress = 0 }
        return body()
      }
    } catch {
      return .failure(
        .runtime(
          Diagnostic(message: String(describing: error), location: SourceLocation(file: "<script>", line: 1, column: 1))
        ))
    }
  }
}
