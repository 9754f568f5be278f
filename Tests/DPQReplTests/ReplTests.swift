import DPQBindings
import DPQLanguage
import Foundation
import Testing

@testable import DPQRepl

/// The REPL loop over scripted input: continuation, `;`, `ans`, the `:commands`, Ctrl-C.
/// Serialized: Ctrl-C is process-wide state.
@Suite(.serialized) struct ReplTests {
  @Test func multiLineEntryContinuesWhileABlockIsOpen() {
    let r = ScriptedRepl(lines: ["fn f(x) {", "  y = x * 2", "  y + 1", "}", "f(3)"])
    let (out, err) = r.run()
    #expect(out == "7\n")
    #expect(err == "")
    #expect(r.editor.prompts == ["dpq> ", "...> ", "...> ", "...> ", "dpq> ", "dpq> "])
    #expect(r.editor.history == ["fn f(x) {\n  y = x * 2\n  y + 1\n}", "f(3)"])
  }

  @Test func openBracketsAndStringsContinue() {
    let r = ScriptedRepl(lines: ["xs = [1,", "2, 3]", "s = \"\"\"a", "b\"\"\"", "len(xs) + len(s)"])
    #expect(r.run().0 == "6\n")
  }

  @Test func semicolonSuppressesOutputAndAnsKeepsTheLastValue() {
    let r = ScriptedRepl(lines: ["x = 5", "x * 2;", "ans + 1", "ans"])
    #expect(r.run() == ("11\n11\n", ""))
  }

  @Test func varsListsNamesTypesAndShapesAsATable() {
    let r = ScriptedRepl(lines: ["weights = zeros([2, 3])", "n = 4", "names = [\"a\", \"b\"]", ":vars"])
    let expected = """
      name     type    shape or value
      -------  ------  --------------
      n        number  4
      names    list    2 items
      weights  tensor  [2, 3]

      """
    #expect(r.run() == (expected, ""))
  }

  @Test func varsWithoutVariables() {
    #expect(ScriptedRepl(lines: [":vars"]).run().0 == "no variables\n")
  }

  @Test func timePrintsTheValueAndTheWallTime() throws {
    let (out, err) = ScriptedRepl(lines: [":time sum(range(1000))"]).run()
    #expect(err == "")
    let lines = out.split(separator: "\n")
    try #require(lines.count == 2)
    #expect(lines[0] == "499500")
    #expect(lines[1].hasPrefix("time: "))
    #expect(lines[1].hasSuffix(" µs") || lines[1].hasSuffix(" ms"))
  }

  @Test func timeOfAFailingExpressionPrintsOnlyTheError() {
    let (out, err) = ScriptedRepl(lines: [":time 1 / 0"]).run()
    #expect(out == "")
    #expect(err.contains("error: division by zero"))
  }

  @Test func loadRunsAFileInTheSession() throws {
    let dir = try temporaryDirectory("load")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "loaded = 40\nfn bump(x) { x + 2 }\n".write(toFile: dir + "/lib.dpq", atomically: true, encoding: .utf8)
    let r = ScriptedRepl(lines: [":load \(dir)/lib.dpq", "bump(loaded)", ":load \(dir)/missing.dpq"])
    let (out, err) = r.run()
    #expect(out == "42\n")
    #expect(err.contains("cannot read '\(dir)/missing.dpq'"))
  }

  @Test func resetForgetsVariables() {
    let (out, err) = ScriptedRepl(lines: ["a = 1", ":reset", "a"]).run()
    #expect(out == "session reset: all variables cleared\n")
    #expect(err.contains("undefined variable 'a'"))
  }

  @Test func quitEndsTheLoop() {
    let r = ScriptedRepl(lines: ["1", ":quit", "2"])
    #expect(r.run().0 == "1\n")
    #expect(r.editor.prompts.count == 2)
  }

  @Test func helpForANameAndTheCommandList() {
    let (out, _) = ScriptedRepl(lines: ["?zeros", ":help"]).run()
    #expect(out.contains("zeros(shape) -> tensor"))
    for command in ReplCommand.names { #expect(out.contains(command)) }
    #expect(out.contains("DPQ_HISTORY"))
  }

  @Test func unknownCommandSuggestsTheClosest() {
    let (_, err) = ScriptedRepl(lines: [":vras"]).run()
    #expect(err == "error: unknown command :vras; did you mean :vars? (:help lists the commands)\n")
  }

  @Test func ctrlCAtAContinuationPromptDropsThePendingEntry() {
    let r = ScriptedRepl([.line("fn f(x) {"), .interrupted, .line("1 + 1")])
    #expect(r.run() == ("2\n", ""))
    #expect(r.editor.prompts == ["dpq> ", "...> ", "dpq> ", "dpq> "])
  }

  @Test func errorsKeepTheSessionAndItsVariables() {
    let (out, err) = ScriptedRepl(lines: ["keep = 3", "nope(1)", "keep"]).run()
    #expect(out == "3\n")
    #expect(err.hasPrefix("<repl-2>:1:1: error: undefined variable 'nope'"))
  }

  @Test func ctrlCDuringWorkStopsItAndKeepsVariables() {
    let r = ScriptedRepl(lines: [])
    r.repl.session.stepLimit = 200_000_000 // a safety net should the interrupt be lost
    r.repl.handle("keep = 7")
    let interrupter = Thread {
      Thread.sleep(forTimeInterval: 0.2)
      Interrupts.raise()
    }
    interrupter.start()
    r.repl.handle("i = 0\nwhile true { i += 1 }")
    #expect(r.errors.text.hasSuffix("interrupted\n"))
    #expect(!Interrupts.isPending)
    r.repl.handle("keep")
    r.repl.handle("i > 0")
    #expect(r.output.text == "7\ntrue\n")
  }

  @Test(arguments: [
    (":vars", ReplCommand.vars), (":quit", .quit), (":q", .quit), (":reset", .reset),
    (":help", .help(nil)), (":help zeros", .help("zeros")), ("?", .help(nil)), ("? tensor.sum", .help("tensor.sum")),
    (":time  t @ t ", .time("t @ t")), (":load \"my file.dpq\"", .load("my file.dpq")), (":load a.dpq", .load("a.dpq")),
  ])
  func parsesCommands(text: String, command: ReplCommand) {
    #expect(ReplCommand.parse(text) == command)
  }

  @Test func codeIsNotACommand() {
    #expect(ReplCommand.parse("x = 1") == nil)
    #expect(ReplCommand.parse("r = {a: 1}") == nil)
    if case .invalid(let m)? = ReplCommand.parse(":time") {
      #expect(m.contains("needs an expression"))
    } else {
      Issue.record(":time alone")
    }
  }

  @Test func durations() {
    #expect(Repl.formatDuration(0.000_25) == "250 µs")
    #expect(Repl.formatDuration(0.0123) == "12.3 ms")
    #expect(Repl.formatDuration(4.561) == "4.56 s")
    #expect(Repl.formatDuration(125) == "2 min 5.0 s")
  }

  @Test func historyFileFromTheEnvironment() {
    #expect(ReadlineEditor.defaultHistoryPath(environment: ["HOME": "/home/u"]) == "/home/u/.dpq_history")
    #expect(ReadlineEditor.defaultHistoryPath(environment: ["HOME": "/home/u", "DPQ_HISTORY": "/tmp/h"]) == "/tmp/h")
    #expect(ReadlineEditor.defaultHistoryPath(environment: ["HOME": "/home/u", "DPQ_HISTORY": ""]) == nil)
  }

  @Test func envAndArgsReadWhatTheHostGave() {
    let sink = StringOutputSink()
    let session = ScriptSession(output: sink)
    session.arguments = ["5", "fast"]
    session.environment = ["DPQ_FAST": "1"]
    _ = session.evaluate(entry: "env(\"DPQ_FAST\")")
    _ = session.evaluate(entry: "env(\"NOT_SET\", \"fallback\")")
    _ = session.evaluate(entry: "env(\"NOT_SET\") == nil")
    _ = session.evaluate(entry: "args()")
    #expect(sink.text == "\"1\"\n\"fallback\"\ntrue\n[\"5\", \"fast\"]\n")
  }
}
