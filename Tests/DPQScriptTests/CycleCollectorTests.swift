import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// Counts the probes alive: a probe stands for the tensors a leaked scope would keep.
final class ProbeCount { var alive = 0 }

final class Probe: HostObject {
  let count: ProbeCount
  init(_ count: ProbeCount) {
    self.count = count
    count.alive += 1
  }
  deinit { count.alive -= 1 }
  var typeName: String { "probe" }
  var description: String { "probe" }
}

/// Values that only reference each other are freed (issue 12: LeakSanitizer found every
/// session's globals leaked through its functions).
@Suite struct CycleCollectorTests {
  /// An interpreter with `probe()`, which makes a Probe counted by `count`.
  func interpreter(_ count: ProbeCount) -> Interpreter {
    var r = BuiltinRegistry.standard()
    r.register(
      Builtin("probe", family: "tests", returns: "probe", summary: "A counted probe.", example: "probe()") { _ in
        .host(Probe(count))
      })
    return Interpreter(registry: r, output: StringOutputSink())
  }

  func run(_ i: Interpreter, _ source: String) throws -> Value? {
    try i.executeTopLevel(try i.parse(source, file: "<test>"))
  }

  @Test func aSessionsFunctionsAndGlobalsAreFreedWithIt() throws {
    let count = ProbeCount()
    do {
      let i = interpreter(count)
      _ = try run(i, "p = probe()\nfn f(x) { x + 1 }\ng = fn() => p\nxs = [1]\nxs.append(xs)")
      #expect(count.alive == 1)
      #expect(i.cycles.trackedCount == 1) // the list; the globals are the root, not tracked
    }
    #expect(count.alive == 0, "the session's globals outlived it")
  }

  /// A ScriptSession runs scripts on a thread of its own; the thread is joined before `run`
  /// returns, so the session and all it defined go as soon as its owner lets go, with no wait.
  @Test func aScriptSessionIsFreedWhenItsOwnerLetsGo() throws {
    let count = ProbeCount()
    var r = BuiltinRegistry.standard()
    r.register(
      Builtin("probe", family: "tests", returns: "probe", summary: "A counted probe.", example: "probe()") { _ in
        .host(Probe(count))
      })
    weak var interpreter: Interpreter?
    do {
      let session = ScriptSession(output: StringOutputSink(), registry: r)
      interpreter = session.interpreter
      let source = "p = probe()\nfn sign(x) { if x > 0 { p } else { nil } }\nsign(1)\nfor x in 5 { }"
      guard case .failure = session.run(source: source, file: "t.dpq") else {
        Issue.record("ran")
        return
      }
      #expect(count.alive == 1)
    }
    #expect(interpreter == nil)
    #expect(count.alive == 0)
  }

  @Test func resetFreesWhatTheGlobalsHeld() throws {
    let count = ProbeCount()
    let i = interpreter(count)
    _ = try run(i, "p = probe()\nfn f() { p }\nr = {a: 1}\nr.me = r\nr.p = probe()")
    #expect(count.alive == 2)
    i.reset()
    #expect(count.alive == 0)
    #expect(try run(i, "fn g(x) { 2 * x }\ng(4)")?.integerValue == 8)
  }

  /// A function that defines an inner function keeps its scope through it; thousands of calls
  /// would keep thousands of scopes. A collection frees the unreachable ones and keeps what the
  /// globals still reach: a returned closure, a closure in a list in a record.
  @Test func unreachableScopesAreFreedAndReachableOnesKept() throws {
    let count = ProbeCount()
    let i = interpreter(count)
    _ = try run(
      i,
      """
      fn scratch() {
        q = probe()
        fn inner() { q }
        0
      }
      fn keeper(n) {
        q = probe()
        fn inner() { [q, n] }
        inner
      }
      for k in range(100) { scratch() }
      kept = keeper(7)
      box = {fs: [keeper(8)]}
      loop = []
      loop.append(loop)
      loop.append(probe())
      loop = nil
      """)
    #expect(count.alive == 103)
    i.collectCycles()
    #expect(count.alive == 2, "left \(count.alive) probes alive")
    #expect(try run(i, "kept()[1] + box.fs[0]()[1]")?.integerValue == 15)
  }

  /// A long loop of such calls is collected as it goes, between top-level statements, so the
  /// scopes alive stay bounded instead of growing with the calls.
  @Test func collectionRunsOnItsOwnBetweenStatements() throws {
    let count = ProbeCount()
    let i = interpreter(count)
    _ = try run(i, "fn scratch() {\n  q = probe()\n  fn inner() { q }\n  0\n}")
    for _ in 0..<3 { _ = try run(i, "for k in range(\(CycleCollector.minimumThreshold)) { scratch() }") }
    #expect(
      count.alive <= CycleCollector.minimumThreshold,
      "\(count.alive) scopes alive after \(3 * CycleCollector.minimumThreshold) calls")
    #expect(i.cycles.trackedCount <= CycleCollector.minimumThreshold)
  }

  /// Nothing a running call holds is collected: a `load`ed file runs inside a frame.
  @Test func noCollectionInsideACall() throws {
    let count = ProbeCount()
    let i = interpreter(count)
    _ = try run(i, "fn make() {\n  q = probe()\n  fn inner() { q }\n  inner\n}")
    _ = try run(i, "f = make()")
    i.frames.append(Interpreter.Frame(name: "a call", callSite: SourceLocation(file: "<test>", line: 1, column: 1)))
    _ = try run(i, "f = nil")
    i.collectCycles()
    #expect(count.alive == 1)
    i.frames.removeAll()
    i.collectCycles()
    #expect(count.alive == 0)
  }
}
