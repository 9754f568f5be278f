import DPQTensor
import Foundation

/// Receives the text a script produces. The interpreter never prints on its own: the REPL,
/// `dpq run`, the notebook runner and the tests each provide a sink.
public protocol OutputSink: AnyObject {
  func write(_ text: String)
}

/// A tree-walking interpreter over the AST. Statements are here; expressions, calls, indexing
/// and `load` in the Interpreter+*.swift files.
public final class Interpreter {
  public let registry: BuiltinRegistry
  public var output: OutputSink
  /// The global scope; `reset()` replaces it.
  public private(set) var globals: Environment
  /// Registry functions as values (`f = sqrt`); looked up after the globals.
  let builtinValues: [String: Value]
  /// Frees values that only reference each other (see CycleCollector).
  let cycles = CycleCollector()
  /// How many `executeTopLevel` calls are running (a `load` nests one).
  private var topLevelDepth = 0

  /// One active call: a user function or a loaded file, and where it was called from.
  struct Frame {
    let name: String
    let callSite: SourceLocation
  }
  var frames: [Frame] = []

  /// Nested calls allowed before "too many nested calls" (runaway recursion).
  public var maxCallDepth = 1000
  /// A call whose native stack reaches below this address is refused ("nested too deeply").
  /// `ScriptSession` sets it for the thread scripts run on; otherwise `executeTopLevel` allows
  /// `defaultStackBudget` below where it was called.
  var lowestStackAddress: UInt = 0
  /// How far below `lowestStackAddress` an expression may still recurse (see `evaluate`); both
  /// ScriptSession's reserve (8 MB) and a main thread's (4 MB) hold it.
  static let expressionStackSlack: UInt = 1 << 20
  /// Native stack a script may use when its host did not set `lowestStackAddress`.
  static let defaultStackBudget: UInt = 4 << 20

  /// The address of a local of the caller's frame: where the native stack is now.
  @inline(never)
  static func currentStackAddress() -> UInt {
    var probe: UInt8 = 0
    return withUnsafeMutablePointer(to: &probe) { UInt(bitPattern: $0) }
  }
  /// Loop iterations plus calls allowed per run; nil for no limit (fuzzing sets one).
  public var stepLimit: Int? = nil
  /// Steps taken since the last `resetSteps()`.
  public private(set) var steps = 0
  /// Polled at every loop iteration and call; returning true stops the work (the REPL's Ctrl-C).
  public var shouldStop: (@Sendable () -> Bool)? = nil
  /// The generator behind `randn`/`rand` without a `seed:`; `seed(n)` resets it.
  public var random = RandomGenerator(seed: 0)
  /// How this session prints tensors (`print_options` changes it).
  public var tensorPrintOptions = TensorPrintOptions()
  /// Where `load` resolves paths when the calling code has no file (the REPL).
  public var workingDirectory: String? = nil
  /// What `args()` returns: the script's command-line arguments (the host sets them).
  public var arguments: [String] = []
  /// What `env(name)` reads; the process's environment unless the host replaces it.
  public var environment: [String: String] = ProcessInfo.processInfo.environment
  /// When the session started, for `clock()`.
  public let startTime = Date()

  /// Source lines by file name, for the line shown under a diagnostic.
  var sources: [String: [String]] = [:]
  /// Files being loaded, innermost last, to refuse load cycles.
  var loadingFiles: [String] = []

  enum Flow {
    case normal, breakLoop, continueLoop
    case returned(Value)
  }

  public init(registry: BuiltinRegistry, output: OutputSink) {
    self.registry = registry
    self.output = output
    globals = Environment(parent: nil, kind: .global)
    var values: [String: Value] = [:]
    for (name, b) in registry.functions { values[name] = .builtin(b) }
    builtinValues = values
  }

  /// Forgets every global variable (builtins stay).
  public func reset() {
    let old = globals
    globals = Environment(parent: nil, kind: .global)
    old.values.removeAll()
    cycles.emptyAll()
    frames = []
    loadingFiles = []
    random = RandomGenerator(seed: 0)
    tensorPrintOptions = TensorPrintOptions()
  }

  /// The globals and every function the session defined keep each other alive; the session's
  /// end frees them.
  deinit {
    globals.values.removeAll()
    cycles.emptyAll()
  }

  /// Frees now the values that only reference each other, which `executeTopLevel` otherwise
  /// does once enough have piled up. Only between top-level statements: a value that a running
  /// call holds on the native stack would look unreachable.
  public func collectCycles() {
    guard topLevelDepth == 0, frames.isEmpty else { return }
    cycles.collect(roots: globals)
  }

  public func resetSteps() { steps = 0 }

  /// Writes to the output sink.
  public func write(_ text: String) { output.write(text) }

  /// A value as `print` and interpolation show it, with this session's tensor print options.
  public func text(of value: Value) -> String { value.str(tensorPrintOptions) }

  /// A value as the REPL shows it (strings quoted), with this session's tensor print options.
  public func display(of value: Value) -> String { value.repr(tensorPrintOptions) }

  // MARK: running

  /// Parses `source`, whose first line is line `firstLine` of `file` (a notebook cell); throws
  /// `ScriptError.syntax` with every syntax error found.
  public func parse(_ source: String, file: String, firstLine: Int = 1) throws -> [Stmt] {
    register(source: source, file: file, firstLine: firstLine)
    let (statements, diagnostics) = Parser.parse(source, file: file, firstLine: firstLine)
    if !diagnostics.isEmpty { throw ScriptError.syntax(diagnostics.map(withSourceLine)) }
    return statements
  }

  /// Runs statements in the global scope. Returns the value of the last statement when it is an
  /// expression statement (the REPL prints it), nil otherwise.
  public func executeTopLevel(_ statements: [Stmt]) throws -> Value? {
    // A host running scripts on a thread of its own (not ScriptSession's) gets a budget that
    // fits a main thread's 8 MB stack.
    let setsStackCheck = lowestStackAddress == 0
    if setsStackCheck {
      let here = Interpreter.currentStackAddress()
      lowestStackAddress = here > Interpreter.defaultStackBudget ? here - Interpreter.defaultStackBudget : 1
    }
    defer { if setsStackCheck { lowestStackAddress = 0 } }
    if topLevelDepth == 0 && frames.isEmpty { cycles.collectIfDue(roots: globals) }
    topLevelDepth += 1
    defer { topLevelDepth -= 1 }
    var last: Value? = nil
    for (i, s) in statements.enumerated() {
      if i > 0 { try checkStop(s.location) }
      last = nil
      if case .expression(let e, _) = s.kind {
        last = try evaluate(e, globals)
        continue
      }
      switch try execute(s, globals) {
      case .normal: break
      case .returned, .breakLoop, .continueLoop: return nil // refused by the parser at top level
      }
    }
    return last
  }

  // MARK: errors

  /// A runtime error at `location`, with the call stack as it is now.
  func runtimeError(_ message: String, at location: SourceLocation) -> ScriptError {
    .runtime(
      Diagnostic(
        message: message, location: location, sourceLine: sourceLine(location),
        stack: stack(at: location)))
  }

  /// Gives an error from a builtin, an operator or a Swift library the location it happened at.
  /// Errors that already carry a location pass through.
  func locate(_ error: Error, at location: SourceLocation) -> Error {
    switch error {
    case ScriptError.failure(let message): return runtimeError(message, at: location)
    case let e as ScriptError: return e
    case let e as TensorError: return runtimeError(e.description, at: location)
    case let e as CustomStringConvertible: return runtimeError(e.description, at: location)
    default: return runtimeError(String(describing: error), at: location)
    }
  }

  /// Runs `body`, locating any error it throws at `location`.
  @inline(__always)
  func located<T>(_ location: SourceLocation, _ body: () throws -> T) throws -> T {
    do { return try body() } catch { throw locate(error, at: location) }
  }

  func stack(at location: SourceLocation) -> [StackFrame] {
    guard let innermost = frames.last else { return [] }
    var result = [StackFrame(function: innermost.name, location: location)]
    for i in stride(from: frames.count - 1, through: 0, by: -1) {
      result.append(StackFrame(function: i > 0 ? frames[i - 1].name : "script", location: frames[i].callSite))
    }
    return result
  }

  /// Records the lines of `source` as lines `firstLine...` of `file`, for diagnostics.
  func register(source: String, file: String, firstLine: Int = 1) {
    let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
    }
    guard firstLine > 1 else {
      sources[file] = lines
      return
    }
    var all = sources[file] ?? []
    let offset = firstLine - 1
    if all.count < offset + lines.count { all += [String](repeating: "", count: offset + lines.count - all.count) }
    all.replaceSubrange(offset..<(offset + lines.count), with: lines)
    sources[file] = all
  }

  func sourceLine(_ location: SourceLocation) -> String? {
    guard let lines = sources[location.file], location.line >= 1, location.line <= lines.count else { return nil }
    return lines[location.line - 1]
  }

  func withSourceLine(_ d: Diagnostic) -> Diagnostic {
    var copy = d
    if copy.sourceLine == nil { copy.sourceLine = sourceLine(d.location) }
    return copy
  }

  /// Counts a step and honours the step limit and the host's stop request.
  @inline(__always)
  func tick(_ location: SourceLocation) throws {
    steps &+= 1
    if let limit = stepLimit, steps > limit {
      throw ScriptError.interrupted(
        Diagnostic(
          message: "step limit of \(limit) exceeded", location: location,
          sourceLine: sourceLine(location), stack: stack(at: location)))
    }
    if let stop = shouldStop, stop() {
      throw ScriptError.interrupted(
        Diagnostic(
          message: "interrupted", location: location,
          sourceLine: sourceLine(location), stack: stack(at: location)))
    }
  }

  /// A stop request between two statements: a Ctrl-C during a native call that finished
  /// anyway (or cannot poll) stops the script at its next statement, as docs/repl.md says. Not
  /// before a run's first statement, so a builtin there still sees the request and keeps its
  /// partial result; and not a step, so the step limit still counts iterations and calls.
  @inline(__always)
  func checkStop(_ location: SourceLocation) throws {
    if let stop = shouldStop, stop() {
      throw ScriptError.interrupted(
        Diagnostic(
          message: "interrupted", location: location,
          sourceLine: sourceLine(location), stack: stack(at: location)))
    }
  }

  /// For builtins that run long loops in Swift: throws when the host asked to stop.
  public func checkInterrupt(at location: SourceLocation) throws { try tick(location) }

  // MARK: statements

  func execute(_ statements: [Stmt], _ env: Environment) throws -> Flow {
    for (i, s) in statements.enumerated() {
      if i > 0 { try checkStop(s.location) }
      let flow = try execute(s, env)
      if case .normal = flow { continue }
      return flow
    }
    return .normal
  }

  func execute(_ stmt: Stmt, _ env: Environment) throws -> Flow {
    switch stmt.kind {
    case .expression(let e, _):
      _ = try evaluate(e, env)
    case .assign(let target, let op, let value, _):
      try assign(target, op: op, valueExpr: value, env, at: stmt.location)
    case .ifElse(let condition, let then, let otherwise):
      if try truthy(condition, env) {
        return try execute(then, env)
      } else if let o = otherwise {
        return try execute(o, env)
      }
    case .whileLoop(let condition, let body):
      while try truthy(condition, env) {
        try tick(stmt.location)
        switch try execute(body, env) {
        case .normal, .continueLoop: continue
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        }
      }
    case .forLoop(let variable, let iterableExpr, let body):
      let iterable = try evaluate(iterableExpr, env)
      let iterator = try located(iterableExpr.location) { try makeIterator(iterable) }
      let scope = env.assignmentScope(for: variable)
      while let item = try located(iterableExpr.location, { try iterator.next() }) {
        try tick(stmt.location)
        scope.values[variable] = item
        switch try execute(body, env) {
        case .normal, .continueLoop: continue
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        }
      }
    case .function(let decl):
      env.values[decl.name ?? ""] = .function(Closure(declaration: decl, environment: env))
      cycles.closureCaptured(env)
    case .returnValue(let e):
      return .returned(try e.map { try evaluate($0, env) } ?? .nilValue)
    case .breakLoop:
      return .breakLoop
    case .continueLoop:
      return .continueLoop
    }
    return .normal
  }

  func truthy(_ e: Expr, _ env: Environment) throws -> Bool {
    let v = try evaluate(e, env)
    return try located(e.location) { try v.isTruthy() }
  }

  /// What `for x in value` visits: list items, string characters, record keys, tensor rows
  /// (numbers for a rank-1 tensor), or a host object's elements.
  func makeIterator(_ value: Value) throws -> ThrowingIterator {
    switch value {
    case .list(let l):
      var items = l.items.makeIterator()
      return ThrowingIterator { items.next() }
    case .string(let s):
      var chars = s.makeIterator()
      return ThrowingIterator { chars.next().map { .string(String($0)) } }
    case .record(let r):
      var keys = r.keys.makeIterator()
      return ThrowingIterator { keys.next().map { .string($0) } }
    case .tensor(let t):
      guard t.rank > 0 else { throw ScriptError.failure("cannot iterate over a rank-0 tensor; use .item()") }
      var i = 0
      return ThrowingIterator {
        guard i < t.shape[0] else { return nil }
        defer { i += 1 }
        return try TensorBridge.row(t, i)
      }
    case .host(let h as ThrowingIterable):
      return try h.makeThrowingIterator()
    case .host(let h):
      guard let it = try h.makeIterator() else { throw ScriptError.failure("cannot iterate over \(h.typeName)") }
      return ThrowingIterator { it.next() }
    case .number:
      throw ScriptError.failure("cannot iterate over a number; use range(n)")
    default:
      throw ScriptError.failure("cannot iterate over \(value.typeName)")
    }
  }
}

/// An iterator whose `next()` may throw (tensor rows are computed on demand).
package struct ThrowingIterator {
  let nextElement: () throws -> Value?
  package init(_ next: @escaping () throws -> Value?) { nextElement = next }
  func next() throws -> Value? { try nextElement() }
}

/// A host object whose elements are produced by work that can fail (decoding image files), so
/// a failure stops the `for` loop with its message instead of ending it early.
package protocol ThrowingIterable: HostObject {
  func makeThrowingIterator() throws -> ThrowingIterator
}
