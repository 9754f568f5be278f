import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// A host type as a later binding (dataset, model, index) would write it.
final class Counter: HostObject {
  var count: Int
  init(count: Int) { self.count = count }

  var typeName: String { "counter" }
  var description: String { "counter(\(count))" }
  var attributeNames: [String] { ["count"] }

  func attribute(_ name: String) throws -> Value? {
    name == "count" ? .number(Double(count)) : nil
  }

  func setAttribute(_ name: String, _ value: Value) throws -> Bool {
    guard name == "count", let n = value.integerValue else { return false }
    count = n
    return true
  }

  func makeIterator() throws -> AnyIterator<Value>? {
    var i = 0
    let n = count
    return AnyIterator {
      defer { i += 1 }
      return i < n ? .number(Double(i)) : nil
    }
  }

  func subscriptGet(_ indices: [ScriptIndex]) throws -> Value? {
    guard indices.count == 1, case .value(let v) = indices[0], let i = v.integerValue else {
      throw ScriptError.failure("a counter takes one integer index")
    }
    return .number(Double(i * count))
  }
}

extension BuiltinRegistry {
  /// How a binding library registers its functions and methods.
  static func withCounter() -> BuiltinRegistry {
    var r = BuiltinRegistry.standard()
    r.register(
      Builtin(
        "counter", family: "counters", parameters: [Parameter("start", .integer, default: .number(0))],
        returns: "counter", summary: "A new counter.", example: "c = counter(3)"
      ) { a in
        .host(Counter(count: try a.integer("start")))
      })
    r.register(
      Builtin(
        "increment", on: "counter", family: "counters", parameters: [.keyword("by", .integer, default: .number(1))],
        returns: "counter", summary: "Adds to the count and returns the counter.", example: "counter().increment(by: 2)"
      ) { a in
        let c = try a.receiverHost(as: Counter.self)
        c.count += try a.integer("by")
        return a.receiver ?? .nilValue
      })
    r.register(
      Builtin(
        "call", on: "counter", family: "counters", parameters: [Parameter("x", .number)], returns: "number",
        summary: "Calling a counter multiplies by its count.", example: "counter(2)(5)"
      ) { a in
        .number(Double(try a.receiverHost(as: Counter.self).count) * (try a.number("x")))
      })
    r.register(
      Builtin(
        "len", on: "counter", family: "counters", returns: "number",
        summary: "The count, for len().", example: "len(counter(4))"
      ) { a in
        .number(Double(try a.receiverHost(as: Counter.self).count))
      })
    r.register(
      Builtin(
        "total", family: "counters", parameters: [Parameter("counters", .list), Parameter("extra", .host("counter"))],
        returns: "number", summary: "Sums counts.", example: "total([], counter(1))"
      ) { a in
        let extra = try a.host("extra", as: Counter.self)
        return .number(Double(extra.count + (try a.list("counters").items.count)))
      })
    return r
  }
}

@Suite struct HostObjectTests {
  func run(_ source: String) -> (String, ScriptError?) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink, registry: .withCounter())
    if case .failure(let e) = session.run(source: source, file: "host.dpq") { return (sink.text, e) }
    return (sink.text, nil)
  }

  @Test func hostObjectsUseRegisteredMethodsAttributesAndHooks() {
    let (out, error) = run(
      """
      c = counter(2)
      print(c, type(c), c.count)
      c.increment().increment(by: 3)
      print(c.count, len(c), c(10), c[2])
      c.count = 1
      for i in counter(3) { print(i) }
      print(c.count, total([1, 2], c))
      f = c.increment
      f(by: 4)
      print(c)
      """)
    #expect(error == nil, "\(String(describing: error))")
    #expect(out == "counter(2) counter 2\n6 6 60 12\n0\n1\n2\n1 3\ncounter(5)\n")
  }

  @Test func argumentErrorsNameTheHostType() {
    #expect(
      run("total([], 3)").1?.diagnostics.first?.message == "bad argument #2 to 'total' (counter expected, got number)")
    #expect(
      run("counter().increment(2)").1?.diagnostics.first?.message
        == "too many arguments to 'increment' (expected 0, got 1)")
    #expect(
      run("counter().incremnet()").1?.diagnostics.first?.message
        == "counter has no method 'incremnet' (did you mean 'increment'?)")
    #expect(run("counter().nope").1?.diagnostics.first?.message == "counter has no attribute 'nope'")
    #expect(
      run("c = counter()\nc.count = \"x\"").1?.diagnostics.first?.message == "cannot set attribute 'count' of counter")
    #expect(run("counter()[1, 2]").1?.diagnostics.first?.message == "a counter takes one integer index")
  }

  @Test func hostTypesAppearInHelpAndCompletion() {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink, registry: .withCounter())
    _ = session.run(source: "c = counter()", file: "h.dpq")
    #expect(session.completions(for: "c.inc").candidates == ["increment"])
    #expect(session.completions(for: "c.").candidates == ["call", "count", "increment", "len"])
    #expect(session.completions(for: "c.increment(").candidates.first == "by: ")
    #expect(session.help("increment").hasPrefix("counter.increment(by: 1) -> counter"))
    #expect(session.help("c").contains(".increment()  Adds to the count and returns the counter."))
    #expect(HelpRenderer.overview(session.interpreter.registry).contains("counters     counter total"))
  }
}
