import DPQTensor
import Foundation

/// A host type with one fixed script type name (`dataset`, `model`, ...), so registrations can
/// name the type through the Swift class.
package protocol ScriptHost: HostObject {
  static var scriptType: String { get }
}

extension ScriptHost {
  package var typeName: String { Self.scriptType }
}

// MARK: registering

extension BuiltinRegistry {
  /// Registers a function (`receiver` nil) or a method.
  package mutating func add(
    _ name: String, on receiver: String? = nil, family: String, _ parameters: [Parameter] = [],
    returns: String, summary: String, doc: String = "", example: String,
    _ body: @escaping (Arguments) throws -> Value
  ) {
    register(
      Builtin(
        name, on: receiver, family: family, parameters: parameters, returns: returns, summary: summary,
        doc: doc, example: example, body: body))
  }

  /// Registers a read-only attribute of a host type (`d.count`).
  package mutating func property<T: ScriptHost>(
    _ name: String, of type: T.Type, family: String, returns: String, summary: String,
    doc: String = "", example: String, _ get: @escaping (T) throws -> Value
  ) {
    register(
      Builtin(
        name, on: T.scriptType, property: true, family: family, returns: returns, summary: summary, doc: doc,
        example: example
      ) { a in try get(try a.receiverHost(as: T.self)) })
  }

  /// Registers a method of a host type, its body given the receiver already unwrapped.
  package mutating func method<T: ScriptHost>(
    _ name: String, of type: T.Type, family: String, _ parameters: [Parameter] = [],
    returns: String, summary: String, doc: String = "", example: String,
    _ body: @escaping (T, Arguments) throws -> Value
  ) {
    register(
      Builtin(
        name, on: T.scriptType, family: family, parameters: parameters, returns: returns, summary: summary,
        doc: doc, example: example
      ) { a in try body(try a.receiverHost(as: T.self), a) })
  }
}

// MARK: building values

extension Value {
  package static func int(_ n: Int) -> Value { .number(Double(n)) }
  package static func items(_ values: [Value]) -> Value { .list(ListObject(values)) }
  package static func ints(_ values: [Int]) -> Value { .list(ListObject(values.map { .number(Double($0)) })) }
  package static func numbers(_ values: [Double]) -> Value { .list(ListObject(values.map { .number($0) })) }
  package static func floats(_ values: [Float]) -> Value { .list(ListObject(values.map { .float($0) })) }
  /// A Float32 result as the number it reads as (0.1, not 0.10000000149011612).
  package static func float(_ x: Float) -> Value { .number(Double("\(x)") ?? Double(x)) }
  package static func strings(_ values: [String]) -> Value { .list(ListObject(values.map { .string($0) })) }
  package static func fields(_ fields: [(String, Value)]) -> Value { .record(RecordObject(fields)) }
  package static func optional(_ t: Tensor?) -> Value { t.map { .tensor($0) } ?? .nilValue }
}

/// Text that prints without quotes (layer tables, logs): a host value whose description is the text.
package final class TextObject: ScriptHost {
  package static let scriptType = "text"
  package let text: String
  package init(_ text: String) { self.text = text }
  package var description: String { text }
}

// MARK: reading arguments

extension Arguments {
  /// A list of integers, or a rank-1 tensor of integral values (ids, labels).
  package func integers(_ name: String) throws -> [Int] {
    try Arguments.integers(self[name], name: name, self)
  }

  package static func integers(_ value: Value, name: String, _ a: Arguments) throws -> [Int] {
    switch value {
    case .list(let l):
      return try l.items.enumerated().map { i, v in
        guard let n = v.integerValue else {
          throw a.badArgument(
            name, "list of integers expected, item \(i) is \(v.typeName == "number" ? v.repr() : v.typeName)")
        }
        return n
      }
    case .tensor(let t):
      guard t.rank <= 1 else { throw a.badArgument(name, "a rank-1 tensor of integers expected, got shape \(t.shape)") }
      return try t.scalars.map { x in
        guard x.rounded() == x, abs(x) < 1e9 else { throw a.badArgument(name, "integers expected, found \(x)") }
        return Int(x)
      }
    case .number:
      guard let n = value.integerValue else { throw a.badArgument(name, "integer expected, got \(value.repr())") }
      return [n]
    default:
      throw a.badArgument(name, "list of integers expected, got \(value.typeName)")
    }
  }

  package func optionalIntegers(_ name: String) throws -> [Int]? { has(name) ? try integers(name) : nil }

  /// A list of numbers (or a rank-1 tensor).
  package func doubles(_ name: String) throws -> [Double] {
    switch self[name] {
    case .list(let l):
      return try l.items.enumerated().map { i, v in
        switch v {
        case .number(let x): return x
        case .bool(let b): return b ? 1 : 0
        default: throw badArgument(name, "list of numbers expected, item \(i) is \(v.typeName)")
        }
      }
    case .tensor(let t):
      return t.scalars.map(Double.init)
    case .number(let x): return [x]
    default:
      throw badArgument(name, "list of numbers expected, got \(self[name].typeName)")
    }
  }

  /// Bools from a list of bools or 0/1 numbers (relevance marks).
  package func bools(_ name: String) throws -> [Bool] {
    try doubles(name).map { $0 != 0 }
  }

  /// One of the allowed strings (an enum-like option), with the choices in the error.
  package func choice(_ name: String, _ allowed: [String]) throws -> String {
    let s = try string(name)
    guard allowed.contains(s) else {
      throw badArgument(name, "one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", ")) expected, got \"\(s)\"")
    }
    return s
  }

  /// A positive integer.
  package func positive(_ name: String) throws -> Int {
    let n = try integer(name)
    guard n > 0 else { throw badArgument(name, "must be positive, got \(n)") }
    return n
  }

  /// A seed: a non-negative integer.
  package func seed(_ name: String = "seed") throws -> UInt64 {
    let n = try integer(name)
    guard n >= 0 else { throw badArgument(name, "a seed must be non-negative, got \(n)") }
    return UInt64(n)
  }

  package func float(_ name: String) throws -> Float { Float(try number(name)) }

  /// The host's stop request (Ctrl-C), to hand to long-running library calls.
  package var shouldStop: (@Sendable () -> Bool)? { interpreter.shouldStop }

  /// After library work that polls `shouldStop`: when the host asked to stop, the script stops
  /// here (an interruption), so a result cut short is never used as if it were complete.
  package func stopIfRequested() throws {
    if let stop = interpreter.shouldStop, stop() { try interpreter.checkInterrupt(at: location) }
  }

  /// The same, for work that returns what it did before it stopped: that partial result is kept
  /// in the global `ans` and `message` (which should say so) is written before the script stops,
  /// so a REPL user loses nothing.
  package func stopIfRequested(keeping partial: @autoclosure () throws -> Value, _ message: @autoclosure () -> String)
    throws
  {
    guard let stop = interpreter.shouldStop, stop() else { return }
    interpreter.globals.values["ans"] = try partial()
    write(message() + "\n")
    try interpreter.checkInterrupt(at: location)
  }
}

// MARK: formatting

package enum Format {
  /// `1234567` as `1,234,567`.
  package static func grouped(_ n: Int) -> String {
    let digits = String(abs(n))
    var out = ""
    for (i, ch) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
  }

  package static func fixed(_ x: Double, _ digits: Int) -> String {
    x.isFinite ? String(format: "%.\(digits)f", x) : (x.isNaN ? "nan" : (x < 0 ? "-inf" : "inf"))
  }

  package static func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

  /// Rows of cells as an aligned table: the first row is the header, underlined; `leftColumns`
  /// are left-aligned, the others right-aligned.
  package static func table(_ rows: [[String]], leftColumns: Int = 1) -> String {
    guard let header = rows.first else { return "" }
    let widths = header.indices.map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    func line(_ r: [String]) -> String {
      var cells: [String] = []
      for c in header.indices {
        let cell = c < r.count ? r[c] : ""
        let pad = String(repeating: " ", count: widths[c] - cell.count)
        cells.append(c < leftColumns ? cell + pad : pad + cell)
      }
      var s = cells.joined(separator: "  ")
      while s.last == " " { s.removeLast() }
      return s
    }
    let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
    return ([line(header), rule] + rows.dropFirst().map(line)).joined(separator: "\n")
  }

  /// Seconds as `m:ss` or `h:mm:ss`.
  package static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60) }
    return String(format: "%d:%02d", s / 60, s % 60)
  }
}
