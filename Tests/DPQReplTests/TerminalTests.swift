import Foundation
import Testing

/// A `dpq` REPL running in a private tmux server (its own socket), driven with `send-keys` and
/// read with `capture-pane`.
final class TerminalSession {
  static let tmux = ["/usr/bin/tmux", "/usr/local/bin/tmux", "/opt/homebrew/bin/tmux"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

  let socket = "dpq-test-\(getpid())-\(UUID().uuidString.prefix(8))"

  /// Starts `dpq` in a 120 x 40 window with `DPQ_HISTORY` set to `history`. With
  /// `showingExitStatus`, the window stays after dpq exits and shows `exit status N`.
  /// `arguments` (quoted for the shell) follow the binary; `directory` is its working directory.
  init(
    binary: String, history: String, showingExitStatus: Bool = false, arguments: [String] = [],
    directory: String? = nil
  ) throws {
    let invocation = (["'\(binary)'"] + arguments.map { "'\($0)'" }).joined(separator: " ")
    let cd = directory.map { "cd '\($0)' && " } ?? ""
    let command =
      showingExitStatus
      ? "\(cd)DPQ_HISTORY='\(history)' TERM=xterm \(invocation); echo \"exit status $?\"; sleep 60"
      : "\(cd)DPQ_HISTORY='\(history)' TERM=xterm exec \(invocation)"
    // The server outlives this call and inherits its descriptors: nothing is captured from it.
    try tmux(["new-session", "-d", "-x", "120", "-y", "40", "-s", "repl", command], capture: false)
  }

  deinit { _ = try? tmux(["kill-server"]) }

  @discardableResult
  func tmux(_ arguments: [String], capture: Bool = true) throws -> ProcessResult {
    guard let tmux = TerminalSession.tmux else { throw CocoaError(.fileNoSuchFile) }
    return try spawnAndWait(tmux, ["-L", socket, "-f", "/dev/null"] + arguments, captureOutput: capture)
  }

  /// Types `text` literally (a trailing `;` is escaped from tmux's command parser).
  func type(_ text: String) throws {
    let escaped = text.hasSuffix(";") ? String(text.dropLast()) + "\\;" : text
    try tmux(["send-keys", "-t", "repl", "-l", escaped])
  }

  /// Presses keys by tmux name: `Enter`, `Tab`, `Up`, `C-c`, `C-d`.
  func press(_ keys: String...) throws { try tmux(["send-keys", "-t", "repl"] + keys) }

  /// Number of prompts (`dpq>` lines) on the screen.
  func promptCount(_ screen: String) -> Int {
    screen.split(separator: "\n").filter { $0 == "dpq>" || $0.hasPrefix("dpq> ") }.count
  }

  /// Types a line and presses Enter.
  func enter(_ line: String) throws {
    try type(line)
    try press("Enter")
  }

  /// Types a line, presses Enter, and waits for the next empty prompt (text typed while an
  /// entry runs would be echoed by the terminal and again by readline).
  @discardableResult
  func run(_ line: String) throws -> String {
    let before = promptCount(try screen())
    try enter(line)
    return try waitForPrompt(count: before + 1)
  }

  /// The visible screen, trailing blank lines removed.
  func screen() throws -> String {
    let text = try tmux(["capture-pane", "-p", "-t", "repl"]).standardOutput
    return text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
      .joined(separator: "\n").trimmingCharacters(in: .newlines)
  }

  /// Polls the screen until `condition` holds; records an issue with the screen after `timeout`.
  @discardableResult
  func waitUntil(_ what: String, timeout: Double = 15, _ condition: (String) -> Bool) throws -> String {
    let deadline = Date().addingTimeInterval(timeout)
    var last = ""
    while Date() < deadline {
      last = try screen()
      if condition(last) { return last }
      Thread.sleep(forTimeInterval: 0.05)
    }
    Issue.record("timed out waiting for \(what); screen:\n\(last)")
    return last
  }

  /// Waits until the screen's last line is an empty prompt and `count` prompts are shown.
  @discardableResult
  func waitForPrompt(count: Int) throws -> String {
    try waitUntil("prompt #\(count)") { s in
      promptCount(s) >= count && s.split(separator: "\n").last == "dpq>"
    }
  }

  /// The pid of the process in the window (dpq itself when it was started with `exec`).
  func panePID() throws -> Int32? {
    Int32(
      try tmux(["display-message", "-p", "-t", "repl", "#{pane_pid}"]).standardOutput
        .trimmingCharacters(in: .whitespacesAndNewlines))
  }

  /// A child of `parent` whose command is `name`, with its process group and the parent's, from
  /// /proc (fields 4 and 5 of stat: ppid, pgrp); nil when there is none.
  static func child(named name: String, of parent: Int32) -> (pid: Int32, group: Int32, parentGroup: Int32)? {
    func stat(_ pid: String) -> [Substring]? {
      guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = text.lastIndex(of: ")"), let open = text.firstIndex(of: "(")
      else { return nil }
      return [text[text.index(after: open)..<close]] + text[text.index(close, offsetBy: 2)...].split(separator: " ")
    }
    guard let parentStat = stat("\(parent)"), let parentGroup = Int32(parentStat[3]) else { return nil }
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
      guard let f = stat(entry), f[0] == name, Int32(f[2]) == parent, let group = Int32(f[3]) else { continue }
      return (Int32(entry)!, group, parentGroup)
    }
    return nil
  }

  /// True once the tmux server has gone (the REPL exited and took the window with it).
  func hasExited(timeout: Double = 10) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
      if let r = try? tmux(["has-session", "-t", "repl"]), r.status != 0 { return true }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return false
  }
}

/// The REPL on a real terminal: completion, history, continuation lines, `;`, `:vars`, Ctrl-C.
/// Skipped, with a message, when tmux is not installed.
@Suite(.serialized) struct TerminalTests {
  /// A running REPL with a private history file, or nil (skipped) without tmux or the binary.
  func start(history: String? = nil, showingExitStatus: Bool = false) throws -> (TerminalSession, String)? {
    guard TerminalSession.tmux != nil else {
      print("skipping terminal tests: tmux is not installed (scripts/setup installs it)")
      return nil
    }
    guard let dpq = builtBinary() else { return nil }
    let historyFile = try history ?? (temporaryDirectory("history") + "/history")
    let session = try TerminalSession(binary: dpq, history: historyFile, showingExitStatus: showingExitStatus)
    let screen = try session.waitForPrompt(count: 1)
    #expect(screen.hasPrefix("dpq 0.2.0: Deep Progressive Quantization. Type :help for help"))
    return (session, historyFile)
  }

  @Test func tabCompletesAttributesAfterADot() throws {
    guard let (t, _) = try start() else { return }
    try t.run("t = zeros([2,2])")
    try t.type("t.sh")
    try t.press("Tab")
    try t.waitUntil("t.shape completed") { $0.hasSuffix("dpq> t.shape") }
    try t.press("Enter")
    let s = try t.waitForPrompt(count: 3)
    #expect(s.hasSuffix("dpq> t.shape\n[2, 2]\ndpq>"))
  }

  @Test func upArrowRecallsTheLastEntries() throws {
    guard let (t, _) = try start() else { return }
    try t.run("u = 41 + 1")
    try t.run("0")
    try t.press("Up", "Up")
    try t.waitUntil("recalled entry") { $0.hasSuffix("dpq> u = 41 + 1") }
    try t.press("Enter")
    try t.waitForPrompt(count: 4)
    let s = try t.run("u")
    #expect(s.hasSuffix("dpq> u = 41 + 1\ndpq> u\n42\ndpq>"))
  }

  @Test func aFunctionOverThreeLinesContinues() throws {
    guard let (t, _) = try start() else { return }
    for (i, line) in ["fn f(x) {", "  y = x * 2", "  y + 1"].enumerated() {
      try t.enter(line)
      try t.waitUntil("continuation prompt \(i + 1)") {
        $0.components(separatedBy: "...>").count - 1 == i + 1 && $0.hasSuffix("...>")
      }
    }
    try t.run("}")
    let s = try t.run("f(3)")
    #expect(s.hasSuffix("dpq> fn f(x) {\n...>   y = x * 2\n...>   y + 1\n...> }\ndpq> f(3)\n7\ndpq>"))
  }

  @Test func semicolonSuppressesTheValue() throws {
    guard let (t, _) = try start() else { return }
    try t.run("a = 5")
    try t.run("a * 2;")
    let s = try t.run("ans + 1")
    #expect(s.hasSuffix("dpq> a = 5\ndpq> a * 2;\ndpq> ans + 1\n11\ndpq>"))
  }

  @Test func varsShowsAnAlignedTable() throws {
    guard let (t, _) = try start() else { return }
    try t.run("weights = zeros([2, 3])")
    try t.run("n = 4")
    let s = try t.run(":vars")
    #expect(
      s.hasSuffix(
        """
        dpq> :vars
        name     type    shape or value
        -------  ------  --------------
        n        number  4
        weights  tensor  [2, 3]
        dpq>
        """))
  }

  @Test func ctrlCAtThePromptClearsTheLine() throws {
    guard let (t, _) = try start() else { return }
    try t.type("abc")
    try t.waitUntil("typed text") { $0.hasSuffix("dpq> abc") }
    try t.press("C-c")
    try t.waitForPrompt(count: 2)
    let s = try t.run("1+1")
    #expect(s.hasSuffix("dpq> abc^C\ndpq> 1+1\n2\ndpq>"))
  }

  @Test func ctrlCStopsALongLoopAndKeepsVariables() throws {
    guard let (t, _) = try start() else { return }
    try t.run("keep = 5")
    try t.enter("while true { x = 1 }")
    Thread.sleep(forTimeInterval: 0.5)
    try t.press("C-c")
    try t.waitUntil("interrupted") { $0.contains("interrupted") }
    try t.waitForPrompt(count: 3)
    let s = try t.run("keep + x")
    #expect(s.hasSuffix("dpq> while true { x = 1 }\n^C\ninterrupted\ndpq> keep + x\n6\ndpq>"))
  }

  @Test func aSecondCtrlCWhileWorkDoesNotStopExits() throws {
    guard let (t, _) = try start(showingExitStatus: true) else { return }
    try t.run("a = randn([3000, 3000], seed: 1);")
    // one expression of native matrix products: nothing polls for a stop until it ends
    try t.enter("b = a @ a @ a @ a @ a @ a @ a @ a @ a @ a @ a @ a")
    Thread.sleep(forTimeInterval: 0.3)
    try t.press("C-c")
    Thread.sleep(forTimeInterval: 0.3)
    try t.press("C-c")
    let s = try t.waitUntil("exit") { $0.contains("exit status") }
    #expect(s.hasSuffix("^C^C\ninterrupted twice while the work did not stop: exiting\nexit status 130"))
  }

  @Test func historyPersistsAcrossSessions() throws {
    guard let (first, history) = try start() else { return }
    try first.run("marker = 1234")
    try first.enter("fn two() {")
    try first.waitUntil("continuation prompt") { $0.hasSuffix("...>") }
    try first.run("2 }")
    try first.enter(":quit")
    #expect(first.hasExited())
    let saved = try String(contentsOfFile: history, encoding: .utf8)
    #expect(saved.contains("marker = 1234\n"))

    guard let (second, _) = try start(history: history) else { return }
    try second.press("Up", "Up")
    try second.waitUntil("multi-line entry of the first session") { $0.hasSuffix("dpq> fn two() {\n2 }") }
    try second.press("Up")
    try second.waitUntil("entry of the first session") { $0.hasSuffix("dpq> marker = 1234") }
    try second.press("Enter")
    try second.waitForPrompt(count: 2)
    let s = try second.run("marker + 1")
    #expect(s.hasSuffix("dpq> marker + 1\n1235\ndpq>"))
    try second.press("C-d")
    #expect(second.hasExited())
  }
}

/// Ctrl-C during long library work at the REPL, Ctrl-C of `dpq run`, and completion of keyword
/// names and paths, on a real terminal.
@Suite(.serialized) struct TerminalInterruptTests {
  let base = TerminalTests()

  /// Runs `setup` lines, starts `work`, waits for `started` on the screen, presses Ctrl-C and
  /// waits for the prompt after `interrupted`; returns the session and the screen.
  func interrupt(
    _ setup: [String], work: String, started: @escaping (String) -> Bool,
    delay: Double = 0
  ) throws -> (TerminalSession, String)? {
    guard let (t, _) = try base.start() else { return nil }
    for line in setup { try t.run(line) }
    let prompts = t.promptCount(try t.screen())
    try t.enter(work)
    try t.waitUntil("the work to start", timeout: 60, started)
    if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    try t.press("C-c")
    let s = try t.waitUntil("interrupted and a new prompt", timeout: 60) { s in
      s.contains("\ninterrupted\n") && t.promptCount(s) >= prompts + 1 && s.split(separator: "\n").last == "dpq>"
    }
    return (t, s)
  }

  @Test func ctrlCStopsTrainingAndKeepsTheModelUsable() throws {
    guard
      let (t, s) = try interrupt(
        [
          "d = blobs(n: 4000, classes: 4, dim: 16, seed: 1);",
          "m = dpq(backbone: \"mlp\", input: 16, hidden: [64], dim: 16, blocks: 2, codewords: 8, classes: 4, seed: 1);",
          "keep = 3",
        ],
        work: "log = train(m, d, epochs: 100000, batch: 128, init: \"random\")",
        started: { $0.contains("epoch 2/100000  stage") })
    else { return }
    #expect(s.contains("training stopped after "))
    #expect(s.contains(" of 100000 epochs: the model keeps its weights; its log is model.log (and ans)\n"))
    let after = try t.run("[keep, m.log.stopped, ans.stopped, len(m.log) >= 2, m.accuracy(d) > 0.5, m.encode(d).count]")
    #expect(after.hasSuffix("\n[3, true, true, true, true, 4000]\ndpq>"))
  }

  @Test func ctrlCStopsKMeansAndKeepsItsCentroids() throws {
    guard
      let (t, s) = try interrupt(
        ["x = randn([100000, 32], seed: 1);", "keep = 4"],
        work: "km = kmeans(x, k: 256, iterations: 100000, max_points_per_centroid: nil)",
        started: { $0.hasSuffix("max_points_per_centroid: nil)") }, delay: 1.5)
    else { return }
    #expect(s.contains("k-means stopped by request after "))
    #expect(s.contains(" iterations; ans holds the result so far\n"))
    let after = try t.run("[keep, ans.stopped, ans.centroids.shape, len(ans.assignments)]")
    #expect(after.hasSuffix("\n[4, true, [256, 32], 100000]\ndpq>"))
  }

  @Test func ctrlCStopsAnEvaluationAndKeepsItsMeasuresSoFar() throws {
    guard
      let (t, s) = try interrupt(
        [
          "d = blobs(n: 60000, classes: 10, dim: 32, seed: 1);",
          "q = pq(d, subspaces: 4, codewords: 16, iterations: 5);",
          "ix = q.index(d);",
        ],
        work: "ev = evaluate(ix, d)", started: { $0.hasSuffix("dpq> ev = evaluate(ix, d)") }, delay: 1.5)
    else { return }
    #expect(s.contains("evaluation stopped by request; ans holds the measures over the queries done so far\n"))
    let after = try t.run("[type(ans), type(ix), ix.count]")
    #expect(after.hasSuffix("\n[\"evaluation\", \"index\", 60000]\ndpq>"))
  }

  @Test func ctrlCStopsASearchAndKeepsTheQueriesDone() throws {
    guard
      let (t, s) = try interrupt(
        [
          "d = blobs(n: 60000, classes: 10, dim: 32, seed: 1);",
          "q = pq(d, subspaces: 4, codewords: 16, iterations: 5);",
          "ix = q.index(d);",
        ],
        work: "r = ix.search(d, k: 100)", started: { $0.hasSuffix("dpq> r = ix.search(d, k: 100)") }, delay: 1.0)
    else { return }
    #expect(s.contains("search stopped by request after "))
    #expect(s.contains(" of 60000 queries; ans holds their results\n"))
    let after = try t.run("[type(ans), len(ix.search(d[0:2], k: 3).ids)]")
    #expect(after.hasSuffix("\n[\"search_result\", 2]\ndpq>"))
  }

  @Test func ctrlCStopsEncodingByTheNetwork() throws {
    guard
      let (t, s) = try interrupt(
        ["d = dataset(rand([20000, 1, 28, 28], seed: 1), map(range(20000), fn(i) => i % 10));", "m = dpq(seed: 1);"],
        // the progress bar below the entry shows that the work has started
        work: "codes = m.encode(d)", started: { $0.contains("dpq> codes = m.encode(d)\n") }, delay: 1.0)
    else { return }
    #expect(s.contains("features: stopped after "))
    let after = try t.run("[m.encode(d[0:3]).count, d.count]")
    #expect(after.hasSuffix("\n[3, 20000]\ndpq>"))
  }

  @Test func ctrlCStopsATSNEPlot() throws {
    guard
      let (t, _) = try interrupt(
        ["d = blobs(n: 1500, classes: 3, dim: 8, seed: 1);"],
        work: "fig = plot_projection(nil, d, method: \"tsne\", limit: 1500, iterations: 1000000)",
        started: { $0.hasSuffix("iterations: 1000000)") }, delay: 1.5)
    else { return }
    let after = try t.run("[d.count, type(plot_projection(nil, d, limit: 50))]")
    #expect(after.hasSuffix("\n[1500, \"figure\"]\ndpq>"))
  }

  @Test func ctrlCStopsGnuplotDrawingAFigure() throws {
    guard let (t, _) = try base.start() else { return }
    try t.run("fig = plot(randn([3000000], seed: 1), title: \"many points\");") // gnuplot takes seconds to draw it
    try t.enter("fig")
    // not timed by a sleep: Ctrl-C goes when gnuplot, dpq's child, is running, and gnuplot must
    // be in a process group of its own, so the terminal's SIGINT reaches dpq only (when it
    // reached gnuplot too, gnuplot sometimes died first: "gnuplot stopped unexpectedly")
    let dpq = try #require(try t.panePID())
    let deadline = Date().addingTimeInterval(30)
    var gnuplot = TerminalSession.child(named: "gnuplot", of: dpq)
    while gnuplot == nil && Date() < deadline {
      Thread.sleep(forTimeInterval: 0.01)
      gnuplot = TerminalSession.child(named: "gnuplot", of: dpq)
    }
    let drawing = try #require(gnuplot, "gnuplot did not start")
    #expect(drawing.group == drawing.pid && drawing.group != drawing.parentGroup)
    let pressed = Date()
    try t.press("C-c")
    let s = try t.waitForPrompt(count: 3)
    #expect(Date().timeIntervalSince(pressed) < 3)
    #expect(s.hasSuffix("dpq> fig\n^Cfigure \"many points\" (1 panel, 1 series)\n(drawing stopped by request)\ndpq>"))
    let after = try t.run("fig.title")
    #expect(after.hasSuffix("\n\"many points\"\ndpq>"))
  }

  @Test func tabCompletesKeywordNamesAndPathsInStrings() throws {
    let directory = try temporaryDirectory("complete")
    try "a,b\n1,2\n".write(toFile: directory + "/measurements-2024.csv", atomically: true, encoding: .utf8)
    guard let (t, _) = try base.start() else { return }
    try t.run("d = blobs(n: 8, seed: 1);")
    try t.type("d.batches(4, shu")
    try t.press("Tab")
    // the screen's trailing space is trimmed
    try t.waitUntil("keyword completed") { $0.hasSuffix("dpq> d.batches(4, shuffle:") }
    try t.type("false).len()")
    try t.press("Enter")
    let s = try t.waitForPrompt(count: 3)
    #expect(s.contains("dpq> d.batches(4, shuffle: false).len()\n2\ndpq>"))
    try t.type("load_csv(\"\(directory)/meas")
    try t.press("Tab")
    try t.waitUntil("path completed and the string closed") {
      $0.hasSuffix("dpq> load_csv(\"\(directory)/measurements-2024.csv\"")
    }
  }

  @Test func ctrlCStopsDpqRunWithStatus130() throws {
    guard TerminalSession.tmux != nil, let dpq = builtBinary() else { return }
    let t = try TerminalSession(
      binary: dpq, history: "", showingExitStatus: true, arguments: ["run", "forever.dpq"],
      directory: Paths.fixtures)
    try t.waitUntil("the script to start") { $0.contains("counting") }
    Thread.sleep(forTimeInterval: 0.3)
    try t.press("C-c")
    let s = try t.waitUntil("exit") { $0.contains("\nexit status") }
    #expect(s.contains("forever.dpq:"))
    #expect(s.contains(": error: interrupted (Ctrl-C): the script stopped here; exit status 130\n"))
    #expect(s.hasSuffix("\nexit status 130"))
  }
}
