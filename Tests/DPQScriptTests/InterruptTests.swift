import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// A stop request (the REPL's Ctrl-C) during long builtins: the work ends at its next batch or
/// iteration, the script stops with `interrupted`, what was computed is kept in `ans` with a
/// line saying so, and the session stays usable. Runaway recursion ends with a located error.
@Suite struct InterruptTests {
  /// A session whose stop request is on; `run` returns the failure of `source`.
  func stopped(_ setup: String, _ source: String) -> (ScriptSession, CapturingSink, ScriptError?) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    if case .failure(let e) = session.run(source: setup, file: "setup.dpq") { Issue.record("setup failed: \(e)") }
    sink.text = ""
    session.shouldStop = { true }
    let result = session.run(source: source, file: "work.dpq")
    session.shouldStop = nil
    guard case .failure(let error) = result else { return (session, sink, nil) }
    return (session, sink, error)
  }

  func value(_ session: ScriptSession, _ expression: String) -> String {
    switch session.evaluate(entry: expression + ";") {
    case .success(let v?): return v.repr()
    case .success(nil): return "nil"
    case .failure(let e): return "error: \(e)"
    }
  }

  func expectInterrupted(_ error: ScriptError?, line: Int = 1) {
    guard let error, case .interrupted(let d) = error else {
      Issue.record("expected an interruption, got \(String(describing: error))")
      return
    }
    #expect(d.message == "interrupted")
    #expect(d.location.line == line)
  }

  /// A Ctrl-C during a native call that does not poll (here: print) used to let the plain
  /// statements after it run to the end; the script stops at the next statement boundary.
  @Test(arguments: ["print(\"a\")\nx = 1\nprint(\"b\")", "if true {\n  print(\"a\")\n  x = 1\n}\nprint(\"b\")"])
  func aStopDuringANativeCallEndsTheScriptAtTheNextStatement(source: String) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    session.shouldStop = { sink.text.contains("a") } // the request arrives while print("a") runs
    let result = session.run(source: source, file: "s.dpq")
    guard case .failure(let error) = result else {
      Issue.record("the script ran to the end: \(sink.text)")
      return
    }
    expectInterrupted(error, line: source.hasPrefix("if") ? 3 : 2)
    #expect(sink.text == "a\n")
  }

  @Test func kmeansKeepsItsCentroidsSoFarInAns() {
    let (s, sink, error) = stopped("x = randn([400, 8], seed: 1)\nkeep = 5", "km = kmeans(x, k: 4, iterations: 50)")
    expectInterrupted(error)
    #expect(sink.lines == ["k-means stopped by request after 0 iterations; ans holds the result so far"])
    // one expression: evaluating an entry sets ans
    #expect(value(s, "[ans.stopped, ans.centroids.shape, len(ans.assignments)]") == "[true, [4, 8], 400]")
    #expect(value(s, "keep") == "5")
    #expect(value(s, "kmeans(x, k: 4, seed: 2).stopped") == "false")
  }

  @Test(arguments: [
    "pq(x, subspaces: 2, codewords: 8)", "opq(x, subspaces: 2, codewords: 8, outer_iterations: 4)",
    "rq(x, blocks: 2, codewords: 8)",
  ])
  func quantizerTrainingKeepsTheQuantizerSoFar(call: String) {
    let (s, sink, error) = stopped("x = randn([300, 8], seed: 1)", "q = " + call)
    expectInterrupted(error)
    #expect(
      sink.lines.count == 1
        && sink.lines[0].hasSuffix("training stopped by request; ans holds the quantizer as trained so far"))
    #expect(value(s, "ans.encode(x[0:3]).count") == "3")
    #expect(value(s, "q").hasPrefix("error:")) // the assignment did not happen
  }

  @Test func searchAndEvaluationKeepTheirPartialResults() {
    let setup = "d = blobs(n: 200, classes: 4, dim: 8, seed: 1)\nq = pq(d, subspaces: 2, codewords: 8)\nix = q.index(d)"
    let (s, sink, error) = stopped(setup, "r = ix.search(d, k: 5)")
    expectInterrupted(error)
    #expect(sink.lines == ["search stopped by request after 0 of 200 queries; ans holds their results"])
    #expect(value(s, "type(ans)") == "\"search_result\"")
    let (s2, sink2, error2) = stopped(setup, "ev = evaluate(ix, d)")
    expectInterrupted(error2)
    #expect(sink2.lines == ["evaluation stopped by request; ans holds the measures over the queries done so far"])
    #expect(value(s2, "type(ans)") == "\"evaluation\"")
    #expect(value(s2, "type(evaluate(ix, d))") == "\"evaluation\"")
  }

  @Test func longEncodingStopsBetweenChunks() {
    let (s, sink, error) = stopped(
      "x = randn([20000, 4], seed: 1)\nq = pq(x[0:500], subspaces: 2, codewords: 4)",
      "codes = q.encode(x)")
    expectInterrupted(error)
    #expect(sink.text.isEmpty)
    #expect(value(s, "q.encode(x).count") == "20000")
  }

  @Test func tSNEProjectionStops() {
    let (_, _, error) = stopped(
      "d = blobs(n: 60, classes: 3, dim: 5, seed: 1)",
      "fig = plot_projection(nil, d, method: \"tsne\", perplexity: 5, iterations: 100000)")
    expectInterrupted(error)
  }

  @Test func runawayRecursionNamesTheDepthAndShowsACompactStack() {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let result = session.run(source: "keep = 1\nfn down(n) {\n  down(n + 1)\n}\ndown(0)", file: "rec.dpq")
    guard case .failure(let error) = result, case .runtime(let d) = error else {
      Issue.record("expected a runtime error, got \(result)")
      return
    }
    #expect(d.message == "too many nested calls (more than 1000): does 'down' recurse without end?")
    let lines = error.description.split(separator: "\n").map(String.init)
    #expect(
      Array(lines.prefix(3)) == [
        "rec.dpq:3:3: error: too many nested calls (more than 1000): does 'down' recurse without end?",
        "  down(n + 1)", "  ^~~~~",
      ])
    #expect(
      Array(lines.dropFirst(3)) == [
        "  in fn down at rec.dpq:3:3", "  in fn down at rec.dpq:3:3", "  in fn down at rec.dpq:3:3",
        "  ... the same call 997 more times", "  in script at rec.dpq:5:1",
      ])
    // the session is usable, its variables intact, and the limit is per call chain
    #expect(value(session, "keep") == "1")
    #expect(value(session, "fn depth(n) { if n == 0 { 0 } else { 1 + depth(n - 1) } }\ndepth(900)") == "900")
  }

  @Test func nestingBeyondTheStackIsRefusedNotACrash() {
    // with the call limit lifted, three frames per level through a builtin's callback use up
    // the script thread's stack long before 60,000 calls: the stack check refuses the call
    let session = ScriptSession(output: CapturingSink())
    session.interpreter.maxCallDepth = 1_000_000
    let result = session.run(
      source: "fn f(n) { if n == 0 { 0 } else { 1 + g([n])[0] } }\nfn g(l) { map(l, fn(x) => f(x - 1)) }\nf(20000)",
      file: "deep.dpq")
    guard case .failure(let error) = result, case .runtime(let d) = error else {
      Issue.record("expected a runtime error, got \(result)")
      return
    }
    #expect(d.message.hasPrefix("calls nested too deeply for the stack ("))
    #expect(
      d.message.hasSuffix(" calls deep, each nesting many expressions): does 'g' recurse without end?")
        || d.message.hasSuffix(" calls deep, each nesting many expressions): does 'f' recurse without end?")
        || d.message.hasSuffix(" calls deep, each nesting many expressions): does '<lambda>' recurse without end?"))
    session.interpreter.maxCallDepth = 1000
    #expect(value(session, "f(100)") == "100")
  }

  @Test func anInterpreterOnAnOrdinaryThreadIsGuardedToo() {
    // a host that runs the interpreter itself, on a thread with a main thread's 8 MB stack
    final class Outcome: @unchecked Sendable { var message = "" }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
      let interpreter = Interpreter(output: CapturingSink())
      interpreter.maxCallDepth = 1_000_000
      do {
        let program = try interpreter.parse(
          "fn f(n) { if n == 0 { 0 } else { 1 + f(n - 1) } }\nf(1000000)", file: "t.dpq")
        _ = try interpreter.executeTopLevel(program)
      } catch let error as ScriptError {
        outcome.message = error.diagnostics.first?.message ?? ""
      } catch {
        outcome.message = "\(error)"
      }
      done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    done.wait()
    #expect(outcome.message.hasPrefix("calls nested too deeply for the stack ("))
  }

  @Test func mutualRecursionIsBoundedToo() {
    let session = ScriptSession(output: CapturingSink())
    let result = session.run(source: "fn ping(n) { pong(n + 1) }\nfn pong(n) { ping(n + 1) }\nping(0)", file: "m.dpq")
    guard case .failure(let error) = result else {
      Issue.record("expected an error")
      return
    }
    let lines = error.description.split(separator: "\n")
    #expect(
      lines[0].hasSuffix("error: too many nested calls (more than 1000): does 'pong' recurse without end?")
        || lines[0].hasSuffix("error: too many nested calls (more than 1000): does 'ping' recurse without end?"))
    #expect(lines.count <= 3 + 25)
    #expect(lines.contains { $0.hasPrefix("  ... ") && $0.hasSuffix("more lines of the call stack") })
  }

  @Test func recursionThroughABuiltinCallbackIsBounded() {
    let session = ScriptSession(output: CapturingSink())
    let result = session.run(source: "fn f(n) { map([n], fn(x) => f(x + 1)) }\nf(0)", file: "cb.dpq")
    guard case .failure(let error) = result, case .runtime(let d) = error else {
      Issue.record("expected a runtime error, got \(result)")
      return
    }
    #expect(d.message.hasPrefix("too many nested calls (more than 1000)"))
  }
}
