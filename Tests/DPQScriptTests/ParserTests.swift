import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

@Suite struct ParserTests {
  static func diagnostics(_ source: String) -> [Diagnostic] {
    Parser.parse(source, file: "t.dpq").diagnostics
  }

  /// Malformed inputs: each must produce at least one diagnostic and never crash.
  static let malformed: [String] = [
    "(", ")", "[", "]", "{", "}", "(()", "[1, 2", "{a: 1", "f(1, 2", "x = [1, (2, 3]", "((1 + 2)",
    "1 +", "* 2", "x = ", "= 3", "1 2", "x = 1 +* 2", "a[]", "a[1,", "a.", "a..b", "-", "not",
    "\"unterminated", "'also", "\"\"\"never closed", "\"{x\"", "\"{}\"", "\"{1 +}\"", "\"\\q\"", "\"\\u{zz}\"",
    "1e", "1__0", "3x", "1_", "$", "x = 3 ? 4", "!x", "a && b", "a || b", "a // b", "`",
    "if", "if x", "if x {", "if x { } else", "else { }", "while { }", "while x", "for", "for x", "for x in",
    "for 1 in y { }", "fn", "fn (", "fn f", "fn f(", "fn f(a,", "fn f(a b) { }", "fn f(1) { }", "fn f() =>",
    "fn f(a, a) { }", "fn f(a: 1, b) { }", "fn f(x = 1) { }", "return", "break", "continue",
    "f() = 1", "1 = x", "x + 1 = 2", "a < b < c", "f(a: 1, 2)", "f(a: 1, a: 2)", "f(x = 1)",
    "{a: 1, a: 2}", "{1: 2}", "{a 1}", "x = {", "if x = 1 { }", "fn g = 1", "fn named() { }()",
    "\u{0}", "\u{7}", "\u{1F600}", "x = \"\u{1}\" $ 1", "}}}", "]]]", ")))",
    String(repeating: "(", count: 10_000), String(repeating: "[", count: 10_000),
    String(repeating: "{", count: 10_000), String(repeating: "-", count: 10_000),
    String(repeating: "if x { ", count: 5_000), String(repeating: "not ", count: 10_000),
    String(repeating: "\"{", count: 2_000), String(repeating: "f(", count: 10_000) + "1",
    String(repeating: "a.", count: 5_000), String(repeating: "x = 1 +\n", count: 3),
  ]

  @Test(arguments: ParserTests.malformed.indices)
  func malformedInputGivesADiagnostic(_ i: Int) {
    let source = ParserTests.malformed[i]
    let d = ParserTests.diagnostics(source)
    #expect(!d.isEmpty, "no diagnostic for \(source.prefix(40).debugDescription)")
    for diagnostic in d {
      #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1)
      #expect(!diagnostic.message.isEmpty)
    }
  }

  @Test func atLeastFortyMalformedInputs() {
    #expect(ParserTests.malformed.count >= 40)
  }

  @Test func binaryGarbageNeverCrashes() {
    var generator = DeterministicBytes(seed: 1)
    for _ in 0..<200 {
      let bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
      let source = String(decoding: bytes, as: UTF8.self)
      _ = ParserTests.diagnostics(source)
      // the interpreter must also survive whatever parses
      let sink = CapturingSink()
      let session = ScriptSession(output: sink)
      session.stepLimit = 10_000
      _ = session.run(source: source, file: "garbage.dpq")
    }
  }

  /// Random sequences of the language's own tokens: mostly broken, sometimes valid programs that
  /// do odd things. Parsing and running them (with a step limit) must never crash.
  @Test func tokenSoupNeverCrashes() {
    let vocabulary = [
      "x", "y", "f", "t", "xs", "r", "=", "+=", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "\n", "+", "-", "*",
      "/",
      "%", "**", "@", "==", "<", "and", "or", "not", "in", "fn", "return", "if", "else", "while", "for", "break",
      "continue", "true", "false", "nil", "0", "1", "2", "-1", "3.5", "\"s\"", "\"{x}\"", "=>", "print", "len",
      "range", "zeros", "tensor", "sum", "sorted", "map", "keys", "str", "T", "shape", "append", "reshape", "help",
      "x = [1, 2]", "t = zeros([2, 2])", "r = {a: 1}", "fn f(a, b: 1) { a }", "xs = range(3)",
    ]
    var generator = DeterministicBytes(seed: 42)
    for _ in 0..<400 {
      let n = 1 + Int(generator.next() % 30)
      let source = (0..<n).map { _ in vocabulary[Int(generator.next() % UInt64(vocabulary.count))] }.joined(
        separator: " ")
      let sink = CapturingSink()
      let session = ScriptSession(output: sink)
      session.stepLimit = 10_000
      _ = session.run(source: source, file: "soup.dpq")
      _ = ScriptSession.isIncomplete(source)
      _ = session.completions(for: source)
    }
  }

  @Test func deepNestingIsRefusedWithAMessage() {
    let d = ParserTests.diagnostics(String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000))
    #expect(d.map(\.message).contains("input nested too deeply (more than \(Parser.maxDepth) levels)"))
  }

  @Test func nestingBelowTheLimitParsesAndRuns() throws {
    let depth = 60
    let source = "x = " + String(repeating: "(", count: depth) + "1" + String(repeating: " + 1)", count: depth)
    #expect(ParserTests.diagnostics(source).isEmpty)
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    _ = session.run(source: source + "\nprint(x)", file: "deep.dpq")
    #expect(sink.lines == ["\(depth + 1)"])
  }

  @Test func emptyAndBlankInputsAreValid() {
    for source in ["", "\n\n", "   ", "# only a comment", ";;;", "\n;\n# c\n"] {
      #expect(ParserTests.diagnostics(source).isEmpty, "\(source.debugDescription)")
    }
  }

  @Test func everyErrorOfAScriptIsReported() {
    let source = """
      x = (1 +
      y = 2
      z = * 3
      fn f(a, a) { a }
      w = 1 2
      ok = 1
      if q = 1 { }
      """
    let d = ParserTests.diagnostics(source)
    #expect(d.map(\.location.line) == [2, 3, 4, 5, 7])
    #expect(d[1].message == "expected an expression, found '*'")
  }

  @Test func errorsInsideBlocksRecoverAtTheNextStatement() {
    let source = """
      fn f() {
        a = )
        b = 2
        c = (
      }
      d = ]
      """
    let d = ParserTests.diagnostics(source)
    #expect(d.map(\.location.line) == [2, 5, 6])
  }

  @Test func syntaxErrorsStopTheScriptBeforeItRuns() {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let result = session.run(source: "print(1)\nx = )\nprint(2)\ny = (", file: "bad.dpq")
    #expect(sink.text.isEmpty)
    guard case .failure(.syntax(let all)) = result else {
      Issue.record("expected syntax errors, got \(result)")
      return
    }
    #expect(all.count == 2)
  }

  // MARK: isIncomplete

  @Test(arguments: [
    "fn f() {", "if x {\n  y = 1", "[1, 2,", "f(1,\n 2", "(1 +", "x = 1 +", "{a: 1,", "\"\"\"doc",
    "for i in range(3) {", "while true {\n", "x = fn(a) {", "if x { } else {", "t[0,", "x = not",
  ])
  func incompleteInputsAskForMore(_ source: String) {
    #expect(ScriptSession.isIncomplete(source), "\(source.debugDescription)")
  }

  @Test(arguments: [
    "", "x = 1", "f(1)", "fn f() { }", "x = )", "\"abc", "print(\"abc", "if x { } else { }", "1 +* 2",
    "x = (1 2", "# comment", "\"{1 +\"", "]", "f(a: 1, 2",
  ])
  func completeOrBrokenInputsDoNot(_ source: String) {
    #expect(!ScriptSession.isIncomplete(source), "\(source.debugDescription)")
  }

  // MARK: the tree

  @Test func precedenceTableShapesTheTree() throws {
    func shape(_ source: String) throws -> String {
      let (statements, d) = Parser.parse(source, file: "t")
      #expect(d.isEmpty)
      guard case .expression(let e, _)? = statements.first?.kind else { throw ScriptError.failure("no expression") }
      return render(e)
    }
    #expect(try shape("1 + 2 * 3") == "(1 + (2 * 3))")
    #expect(try shape("2 ** 3 ** 2") == "(2 ** (3 ** 2))")
    #expect(try shape("-x ** 2") == "(-(x ** 2))")
    #expect(try shape("a or b and not c == d") == "(a or (b and (not (c == d))))")
    #expect(try shape("a @ b + c") == "((a @ b) + c)")
    #expect(try shape("x in xs and y") == "((x in xs) and y)")
    #expect(try shape("a - b - c") == "((a - b) - c)")
    #expect(try shape("f(x)[0].y") == "f(x)[0].y")
  }

  private func render(_ e: Expr) -> String {
    switch e.kind {
    case .number(let x): return Value.format(number: x)
    case .variable(let n): return n
    case .binary(let op, let a, let b): return "(\(render(a)) \(op.rawValue) \(render(b)))"
    case .logical(let op, let a, let b): return "(\(render(a)) \(op.rawValue) \(render(b)))"
    case .unary(let op, let a): return "(\(op.rawValue)\(op == .not ? " " : "")\(render(a)))"
    case .call(let f, let args): return "\(render(f))(" + args.map { render($0.value) }.joined(separator: ", ") + ")"
    case .index(let x, let items):
      return "\(render(x))["
        + items.map { if case .single(let i) = $0 { return render(i) } else { return ":" } }.joined(separator: ", ")
        + "]"
    case .attribute(let x, let n): return "\(render(x)).\(n)"
    default: return "?"
    }
  }
}

/// SplitMix64, for reproducible garbage.
struct DeterministicBytes {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Long chains parse in a loop but make a tree as tall as the chain; evaluating or freeing one
/// of 50,000 links overflowed the stack. The parser bounds the tree's height.
@Suite struct ExpressionHeightTests {
  static let chains: [(String, Int)] = [
    ("x = 1" + String(repeating: " + 1", count: 50_000), 50_000),
    ("x = {a: 1}" + String(repeating: ".a", count: 40_000), 40_000),
    ("x = [1]" + String(repeating: "[0]", count: 40_000), 40_000),
    ("x = f" + String(repeating: "()", count: 40_000), 40_000),
  ]

  @Test(arguments: chains.map(\.0)) func aLongChainIsRefusedWithAMessage(source: String) {
    let d = ParserTests.diagnostics(source)
    #expect(
      d.map(\.message).contains { $0.hasPrefix("expression too long (more than \(Parser.maxHeight) levels") },
      "\(d.map(\.message))")
  }

  @Test func aChainBelowTheLimitRuns() {
    let session = ScriptSession(output: CapturingSink())
    let sum = "x = 1" + String(repeating: " + 1", count: Parser.maxHeight - 10)
    let record = "r = {a: 1}\nr.a = r\ny = r" + String(repeating: ".a", count: Parser.maxHeight - 10)
    #expect(ParserTests.diagnostics(sum).isEmpty)
    guard case .success = session.run(source: sum + "\n" + record, file: "long.dpq") else {
      Issue.record("a chain below the limit failed")
      return
    }
    guard case .success(let v?) = session.evaluate(entry: "x;") else {
      Issue.record("x is not set")
      return
    }
    #expect(v.repr() == "\(Parser.maxHeight - 9)")
  }

  @Test func theEvaluatorChecksTheStackInExpressionsNotOnlyInCalls() throws {
    // a host whose stack is nearly used up: the line is put just above this frame, so the first
    // operand evaluated below it must be refused by the expression check (there is no call)
    let interpreter = Interpreter(output: CapturingSink())
    let program = try interpreter.parse("x = [1][0] + 1", file: "t.dpq")
    interpreter.lowestStackAddress = Interpreter.currentStackAddress() + Interpreter.expressionStackSlack
    do {
      _ = try interpreter.executeTopLevel(program)
      Issue.record("the expression ran below the stack line")
    } catch let error as ScriptError {
      #expect(
        error.diagnostics.first?.message.hasPrefix("expression nested too deeply for the stack") == true, "\(error)")
    }
  }
}
