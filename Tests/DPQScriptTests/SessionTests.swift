import DPQTensor
import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

@Suite struct SessionTests {
  func session() -> (ScriptSession, CapturingSink) {
    let sink = CapturingSink()
    return (ScriptSession(output: sink), sink)
  }

  @Test func replPrintsValuesUnlessSemicolonAndKeepsAns() throws {
    let (s, sink) = session()
    _ = s.evaluate(entry: "1 + 2")
    _ = s.evaluate(entry: "x = 5")
    _ = s.evaluate(entry: "x * 2;")
    _ = s.evaluate(entry: "ans + 1")
    _ = s.evaluate(entry: "\"text\"")
    _ = s.evaluate(entry: "nil")
    _ = s.evaluate(entry: "print(\"p\")")
    _ = s.evaluate(entry: "[1, {a: \"b\"}]")
    #expect(sink.lines == ["3", "11", "\"text\"", "p", "[1, {a: \"b\"}]"])
    guard case .success(let v) = s.evaluate(entry: "ans;"), case .list? = v else {
      Issue.record("ans should hold the last list")
      return
    }
  }

  @Test func replEntriesShareGlobalsAndFunctions() {
    let (s, sink) = session()
    _ = s.evaluate(entry: "fn sq(x) {\n  x * x\n}")
    _ = s.evaluate(entry: "sq(7)")
    #expect(sink.lines == ["49"])
  }

  @Test func runtimeErrorKeepsTheSessionUsable() {
    let (s, sink) = session()
    _ = s.evaluate(entry: "a = 1")
    guard case .failure(let e) = s.evaluate(entry: "a / 0") else {
      Issue.record("expected an error")
      return
    }
    #expect(e.diagnostics.first?.message == "division by zero")
    _ = s.evaluate(entry: "a + 1")
    #expect(sink.lines == ["2"])
  }

  @Test func globalsListTypesAndShapes() {
    let (s, _) = session()
    _ = s.run(source: "t = zeros([3, 4])\nn = 2\nl = [1, 2]\nfn f(x, k: 1) { x }\nr = {a: 1}", file: "g.dpq")
    let g = s.globals
    #expect(g.map(\.name) == ["f", "l", "n", "r", "t"])
    #expect(g.first { $0.name == "t" } == .init(name: "t", typeName: "tensor", summary: "[3, 4]"))
    #expect(g.first { $0.name == "l" }?.summary == "2 items")
    #expect(g.first { $0.name == "f" }?.summary == "fn f(x, k: 1)")
    #expect(g.first { $0.name == "r" }?.summary == "{a}")
    s.reset()
    #expect(s.globals.isEmpty)
    guard case .failure = s.evaluate(entry: "t") else {
      Issue.record("reset should forget t")
      return
    }
  }

  @Test func completionsOfNamesAttributesAndKeywords() {
    let (s, _) = session()
    _ = s.run(
      source:
        "train_data = 1\ntensor_a = zeros([2])\nrec = {alpha: 1, beta: zeros(2)}\nfn fit(model, epochs: 5, lr: 0.1) { }",
      file: "c.dpq")
    #expect(s.completions(for: "x = tra").candidates == ["train", "train_data"]) // the builtin train() too
    #expect(s.completions(for: "tensor_a.res").candidates == ["reshape"])
    #expect(s.completions(for: "tensor_a.res").word == "res")
    #expect(s.completions(for: "rec.").candidates == ["alpha", "beta", "get", "remove", "values"])
    #expect(s.completions(for: "rec.beta.sha").candidates == ["shape"])
    #expect(s.completions(for: "tensor_a.shape.app").candidates == ["append"])
    #expect(s.completions(for: "fit(1, ep").candidates.first == "epochs: ")
    #expect(s.completions(for: "randn([2], se").candidates.first == "seed: ")
    #expect(s.completions(for: "tensor_a.sum(ke").candidates.first == "keepdims: ")
    #expect(s.completions(for: "zer").candidates == ["zeros"])
    #expect(s.completions(for: "whi").candidates == ["while"])
    #expect(s.completions(for: "nosuchthing.").candidates.isEmpty)
  }

  @Test func shouldStopInterruptsLoopsAndKeepsTheSession() {
    let (s, sink) = session()
    let polls = PollCounter()
    s.shouldStop = { polls.poll() > 1000 }
    guard case .failure(.interrupted(let d)) = s.run(source: "n = 0\nwhile true { n += 1 }", file: "loop.dpq") else {
      Issue.record("expected an interruption")
      return
    }
    #expect(d.message == "interrupted")
    #expect(d.location.line == 2)
    s.shouldStop = nil
    _ = s.evaluate(entry: "n > 0")
    #expect(sink.lines == ["true"])
  }

  @Test func stepLimitStopsRunawayScripts() {
    let (s, _) = session()
    s.stepLimit = 500
    guard case .failure(.interrupted(let d)) = s.run(source: "fn f(n) { f(n) }\nwhile true { }", file: "s.dpq") else {
      Issue.record("expected the step limit")
      return
    }
    #expect(d.message == "step limit of 500 exceeded")
    // the limit counts per run
    #expect((try? s.run(source: "for i in range(100) { }", file: "ok.dpq").get()) != nil)
  }

  @Test func diagnosticsRenderCaretAndCallStack() {
    let (s, _) = session()
    let source = """
      fn inner(x) {
        return x / 0
      }
      fn outer(y) { inner(y) + 1 }
      outer(3)
      """
    guard case .failure(let e) = s.run(source: source, file: "stack.dpq") else {
      Issue.record("expected an error")
      return
    }
    #expect(
      e.description == """
        stack.dpq:2:12: error: division by zero
          return x / 0
                   ^
          in fn inner at stack.dpq:2:12
          in fn outer at stack.dpq:4:15
          in script at stack.dpq:5:1
        """)
  }

  @Test func syntaxErrorsRenderWithSpans() {
    let (s, _) = session()
    guard case .failure(let e) = s.run(source: "x = 1\ny = foo(1 2)\nz = &&\n", file: "syn.dpq") else {
      Issue.record("expected errors")
      return
    }
    #expect(
      e.description == """
        syn.dpq:2:11: error: expected ',' or ')' after an argument (the call's '(' is at 2:8), found number 2
        y = foo(1 2)
                  ^
        syn.dpq:3:5: error: unexpected '&&': use 'and' instead of '&&'
        z = &&
            ^~
        """)
  }

  @Test func tensorErrorsAreLocatedAtTheExpression() {
    let (s, _) = session()
    guard case .failure(let e) = s.run(source: "a = ones([2, 3])\nb = a @ a", file: "m.dpq") else {
      Issue.record("expected an error")
      return
    }
    #expect(
      e.description == "m.dpq:2:7: error: matmul: shapes [2, 3] and [2, 3] are not compatible\nb = a @ a\n      ^")
  }

  @Test func deepRecursionWithinTheLimitWorks() {
    let (s, sink) = session()
    _ = s.run(source: "fn depth(n) { if n == 0 { 0 } else { 1 + depth(n - 1) } }\nprint(depth(990))", file: "d.dpq")
    #expect(sink.lines == ["990"])
  }

  @Test func helpForTheReplComesFromTheRegistry() {
    let (s, _) = session()
    #expect(s.help("zeros").hasPrefix("zeros(shape) -> tensor\n  A tensor of zeros."))
    #expect(s.help().hasPrefix("Builtins by family"))
    _ = s.run(source: "t = zeros(2)", file: "h.dpq")
    #expect(s.help("t").hasPrefix("tensor: methods and attributes"))
    #expect(s.help("t.sum").hasPrefix("tensor.sum(axis: nil, keepdims: false) -> tensor"))
  }

  @Test func runFileResolvesLoadRelativeToIt() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dpq-script-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("lib"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try "load(\"lib/util.dpq\")\nprint(helper(2))".write(
      to: dir.appendingPathComponent("main.dpq"), atomically: true, encoding: .utf8)
    try "fn helper(x) { x + 40 }".write(
      to: dir.appendingPathComponent("lib/util.dpq"), atomically: true, encoding: .utf8)
    let (s, sink) = session()
    _ = s.run(file: dir.appendingPathComponent("main.dpq").path)
    #expect(sink.lines == ["42"])
    s.interpreter.workingDirectory = dir.path
    _ = s.evaluate(entry: "load(\"lib/util.dpq\")")
    _ = s.evaluate(entry: "helper(0)")
    #expect(sink.lines == ["42", "40"])
  }

  @Test func notebookCellsKeepTheFileLineNumbers() {
    let (s, sink) = session()
    _ = s.run(source: "fn half(x) {\n  x / 0\n}", file: "nb.dpq", firstLine: 3)
    guard case .failure(let e) = s.run(source: "y = 1\nhalf(y)", file: "nb.dpq", firstLine: 8) else {
      Issue.record("expected an error")
      return
    }
    #expect(
      e.description == """
        nb.dpq:4:5: error: division by zero
          x / 0
            ^
          in fn half at nb.dpq:4:5
          in script at nb.dpq:9:1
        """)
    guard case .failure(let syntax) = s.run(source: "\nz = (", file: "nb.dpq", firstLine: 20) else {
      Issue.record("expected a syntax error")
      return
    }
    #expect(syntax.diagnostics.first?.location.line == 21)
    #expect(sink.text.isEmpty)
  }
}

@Suite struct OutputSinkTests {
  @Test func stringSinkCollectsPerCell() {
    let sink = StringOutputSink()
    let session = ScriptSession(output: sink)
    _ = session.run(source: "print(1)", file: "nb.dpq")
    #expect(sink.take() == "1\n")
    _ = session.run(source: "print(\"two\")", file: "nb.dpq", firstLine: 3)
    #expect(sink.take() == "two\n")
    #expect(sink.text.isEmpty)
  }
}
