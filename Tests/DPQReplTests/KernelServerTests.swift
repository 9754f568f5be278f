import DPQBindings
import DPQLanguage
import Foundation
import Testing

@testable import DPQRepl

/// A `dpq kernel-server` child: writes requests, reads the JSON lines it answers with.
final class KernelProcess {
  let process = Process()
  private let input = Pipe()
  private let output = Pipe()
  private var buffer = Data()
  private var nextID = 0
  let ready: [String: Any]

  init(_ binary: String, arguments: [String] = []) throws {
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = ["kernel-server"] + arguments
    var env = ProcessInfo.processInfo.environment
    env["DPQ_HISTORY"] = ""
    process.environment = env
    process.standardInput = input
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    ready = try KernelProcess.readMessage(output.fileHandleForReading, &buffer)
  }

  deinit {
    if process.isRunning { process.terminate() }
  }

  /// Sends a request and returns its events and its reply.
  func request(_ type: String, _ fields: [String: Any] = [:], whileRunning: (() -> Void)? = nil) throws
    -> (events: [[String: Any]], reply: [String: Any])
  {
    nextID += 1
    var message = fields
    message["type"] = type
    message["id"] = nextID
    var data = try JSONSerialization.data(withJSONObject: message)
    data.append(0x0A)
    input.fileHandleForWriting.write(data)
    whileRunning?()
    var events: [[String: Any]] = []
    while true {
      let m = try KernelProcess.readMessage(output.fileHandleForReading, &buffer)
      #expect(m["id"] as? Int == nextID, "every message carries its request's id: \(m)")
      if m["type"] as? String == "reply" { return (events, m) }
      events.append(m)
    }
  }

  /// Sends a request without waiting for its answer.
  func send(_ fields: [String: Any]) throws {
    nextID += 1
    var data = try JSONSerialization.data(withJSONObject: fields.merging(["id": nextID]) { a, _ in a })
    data.append(0x0A)
    input.fileHandleForWriting.write(data)
  }

  /// Stops reading the server's messages, as a front end that died does.
  func closeOutput() throws { try output.fileHandleForReading.close() }

  func execute(_ code: String, whileRunning: (() -> Void)? = nil) throws -> (
    events: [[String: Any]], reply: [String: Any]
  ) {
    try request("execute", ["code": code], whileRunning: whileRunning)
  }

  static func readMessage(_ handle: FileHandle, _ buffer: inout Data) throws -> [String: Any] {
    while true {
      if let newline = buffer.firstIndex(of: 0x0A) {
        let line = buffer[buffer.startIndex..<newline]
        buffer = Data(buffer[(newline + 1)...])
        guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
          throw KernelTestError.notAnObject(String(decoding: line, as: UTF8.self))
        }
        return object
      }
      let chunk = handle.availableData
      if chunk.isEmpty { throw KernelTestError.ended }
      buffer.append(chunk)
    }
  }
}

/// A flag shared with a helper thread.
final class Flag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool {
    lock.lock()
    defer { lock.unlock() }
    return value
  }
  func set() {
    lock.lock()
    value = true
    lock.unlock()
  }
}

enum KernelTestError: Error {
  case ended
  case notAnObject(String)
}

/// The texts of the events of one type (`stream`), or their `data[mime]` (`result`, `display`).
func texts(_ events: [[String: Any]], _ type: String, mime: String = "text/plain") -> [String] {
  events.filter { $0["type"] as? String == type }.compactMap { e in
    type == "stream" ? e["text"] as? String : (e["data"] as? [String: Any])?[mime] as? String
  }
}

/// The protocol of docs/jupyter.md, through the built binary.
@Suite(.serialized) struct KernelServerTests {
  @Test func variablesPersistAcrossCellsAndTheLastValueIsTheResult() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    #expect(kernel.ready["type"] as? String == "ready")
    #expect(kernel.ready["language"] as? String == "dpq")
    let first = try kernel.execute("x = 6 * 7\nprint(\"set\")")
    #expect(first.reply["status"] as? String == "ok")
    #expect(texts(first.events, "stream") == ["set\n"])
    #expect(texts(first.events, "result").isEmpty)
    let second = try kernel.execute("x + 1\nx")
    #expect(texts(second.events, "display") == ["43"]) // shown, as every top-level value is
    #expect(texts(second.events, "result") == ["42"])
    let ans = try kernel.execute("ans")
    #expect(texts(ans.events, "result") == ["42"])
    _ = try kernel.request("shutdown")
    kernel.process.waitUntilExit()
    #expect(kernel.process.terminationStatus == 0)
  }

  @Test func anErrorCarriesTheREPLsDiagnostic() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    let r = try kernel.execute("fn ratio(a, b) { a / b }\nratio(1, 0)")
    #expect(r.reply["status"] as? String == "error")
    let error = try #require(r.events.first { $0["type"] as? String == "error" })
    #expect(error["ename"] as? String == "RuntimeError")
    #expect(error["evalue"] as? String == "division by zero")
    #expect(
      error["traceback"] as? [String] == [
        "<cell-1>:1:20: error: division by zero",
        "fn ratio(a, b) { a / b }",
        "                   ^",
        "  in fn ratio at <cell-1>:1:20",
        "  in script at <cell-1>:2:1",
      ])
    // the session goes on
    #expect(texts(try kernel.execute("ratio(6, 3)").events, "result") == ["2"])
    // a front end's execution count names the cell
    let named = try kernel.request("execute", ["code": "[1][3]", "cell": 7])
    let traceback = named.events.first { $0["type"] as? String == "error" }?["traceback"] as? [String]
    #expect(traceback?.first?.hasPrefix("<cell-7>:1:") == true, "\(named.events)")
  }

  @Test func aFigureArrivesAsPNG() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq, arguments: ["--svg"])
    let r = try kernel.execute("plot([1, 4, 9], title: \"squares\")")
    #expect(r.reply["status"] as? String == "ok", "\(r.events)")
    let png = try #require(texts(r.events, "display", mime: "image/png").first)
    let bytes = try #require(Data(base64Encoded: png))
    #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47])) // \x89PNG
    #expect(texts(r.events, "display", mime: "image/svg+xml").first?.contains("<svg") == true)
    #expect(texts(r.events, "result").isEmpty)
  }

  @Test func completionInspectionAndContinuation() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    let c = try kernel.request("complete", ["code": "data = fashion_mn", "cursor": 17]).reply
    #expect((c["matches"] as? [String])?.contains("fashion_mnist") == true)
    #expect(c["cursor_start"] as? Int == 7)
    #expect(c["cursor_end"] as? Int == 17)
    // keyword names inside a call, on the cell's second line
    let k = try kernel.request("complete", ["code": "x = 1\nlog = train(model, epo", "cursor": 28]).reply
    #expect(k["matches"] as? [String] == ["epochs: "])
    #expect(k["cursor_start"] as? Int == 25)
    let i = try kernel.request("inspect", ["code": "zeros(3)", "cursor": 3]).reply
    #expect(i["found"] as? Bool == true)
    #expect(((i["data"] as? [String: Any])?["text/plain"] as? String)?.hasPrefix("zeros(") == true)
    let missing = try kernel.request("inspect", ["code": "no_such_name", "cursor": 4]).reply
    #expect(missing["found"] as? Bool == false)
    #expect(try kernel.request("is_complete", ["code": "fn f(x) {"]).reply["status"] as? String == "incomplete")
    #expect(try kernel.request("is_complete", ["code": "1 +"]).reply["status"] as? String == "incomplete")
    #expect(try kernel.request("is_complete", ["code": "1 + 2"]).reply["status"] as? String == "complete")
    let help = try kernel.execute("?zeros")
    #expect(texts(help.events, "stream").joined().hasPrefix("zeros("))
  }

  @Test func anInterruptStopsTheCellAndKeepsTheVariables() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    _ = try kernel.execute("kept = 5")
    let pid = kernel.process.processIdentifier
    // An interrupt that lands before the cell starts finds nothing to stop (as at an idle
    // prompt), so on a slow machine it is repeated, 3 s apart: more than the 2 s within which a
    // second one would end dpq.
    let replied = Flag()
    let r = try kernel.execute("while true {}") {
      Thread.detachNewThread {
        Thread.sleep(forTimeInterval: 0.5)
        for _ in 0..<10 where !replied.isSet {
          kill(pid, SIGINT)
          Thread.sleep(forTimeInterval: 3)
        }
      }
    }
    replied.set()
    #expect(r.reply["status"] as? String == "error")
    #expect(r.reply["ename"] as? String == "Interrupted")
    #expect(texts(try kernel.execute("kept").events, "result") == ["5"])
    // an interrupt while idle changes nothing
    kill(pid, SIGINT)
    Thread.sleep(forTimeInterval: 0.2)
    #expect(texts(try kernel.execute("kept * 2").events, "result") == ["10"])
  }

  @Test func anInterruptedTrainingKeepsTheModelAndItsLogSoFar() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    _ = try kernel.execute(
      """
      d = blobs(n: 2000, classes: 4, dim: 16, seed: 1)
      m = dpq(backbone: "mlp", input: 16, hidden: [32], dim: 16, blocks: 2, codewords: 8, classes: 4, seed: 1)
      """)
    let pid = kernel.process.processIdentifier
    let replied = Flag()
    let r = try kernel.execute("train(m, d, epochs: 1000000, batch: 128, init: \"random\")") {
      Thread.detachNewThread {
        Thread.sleep(forTimeInterval: 1.5)
        for _ in 0..<10 where !replied.isSet {
          kill(pid, SIGINT)
          Thread.sleep(forTimeInterval: 3)
        }
      }
    }
    replied.set()
    #expect(r.reply["ename"] as? String == "Interrupted")
    let said = texts(r.events, "stream").joined()
    #expect(said.contains("training stopped after"), "\(said)")
    // epochs of a few milliseconds: 10 lines, then at most one a second, and a count of the others
    let lines = said.split(separator: "\n")
    #expect(lines.count < 25, "\(lines)")
    #expect(lines.contains { $0.hasPrefix("... (") && $0.hasSuffix("lines not shown)") }, "\(lines)")
    // the model and the log so far are kept, and the next cell runs
    #expect(texts(try kernel.execute("ans.stopped").events, "result") == ["true"])
    #expect(texts(try kernel.execute("m.features(d.features[0:3]).shape").events, "result") == ["[3, 16]"])
  }

  @Test func theServerEndsWhenNoOneReadsItEvenInTheMiddleOfACell() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    try kernel.send(["type": "execute", "code": "while true {}"])
    Thread.sleep(forTimeInterval: 0.3)
    try kernel.closeOutput()
    let deadline = Date().addingTimeInterval(10)
    while kernel.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    #expect(!kernel.process.isRunning, "an orphaned server would spin forever")
  }

  @Test func trainingProgressIsOneLinePerEpoch() throws {
    guard let dpq = builtBinary() else { return }
    let kernel = try KernelProcess(dpq)
    let r = try kernel.execute(
      """
      split = fm_small(train_per_class: 5, query_per_class: 2, database: 100, seed: 7)
      model = dpq(backbone: "lenet", dim: 16, blocks: 2, codewords: 4, seed: 1)
      log = train(model, split, epochs: 3, batch: 25);
      """)
    #expect(r.reply["status"] as? String == "ok", "\(r.events)")
    let lines = texts(r.events, "stream").joined().split(separator: "\n")
    #expect(lines.filter { $0.hasPrefix("epoch") }.count == 3, "\(lines)")
    #expect(lines.count < 10, "progress must not flood the notebook: \(lines)")
  }
}

/// Tables as text/html, from the text dpq prints.
@Suite struct HTMLTableTests {
  @Test func anAlignedTableBecomesAnHTMLTable() {
    let text = "evaluation\nmethod  bits     mAP\n--------------------\ndpq        8  0.4100\ndpq       16  0.5200\n"
    let html = HTMLTable.html(for: text)
    #expect(
      html == """
        <pre>evaluation</pre>
        <table>
        <thead><tr><th>method</th><th>bits</th><th>mAP</th></tr></thead>
        <tbody>
        <tr><td>dpq</td><td>8</td><td>0.4100</td></tr>
        <tr><td>dpq</td><td>16</td><td>0.5200</td></tr>
        </tbody>
        </table>
        """)
  }

  @Test func textWithoutATableHasNoHTML() {
    #expect(HTMLTable.html(for: "[1, 2, 3]") == nil)
    #expect(HTMLTable.html(for: "a  b\n--\n") == nil) // a rule narrower than the header
  }
}

/// Progress lines in a cell: a burst, then at most one a second.
@Suite struct KernelProgressTests {
  @Test func tinyEpochsShowABurstThenTheLastWithACount() {
    let sink = StringOutputSink()
    var now = 0.0
    let progress = KernelProgress(output: sink, statusInterval: 10, clock: { now })
    for epoch in 1...30 {
      progress.begin("epoch \(epoch)/30", total: 10, unit: "img")
      progress.end("epoch \(epoch)")
      now += 0.01
    }
    progress.message("training done")
    progress.flush() // nothing left to show
    let expected = (1...10).map { "epoch \($0)" } + ["... (19 lines not shown)", "epoch 30", "training done"]
    #expect(sink.text == expected.joined(separator: "\n") + "\n")
  }

  @Test func slowEpochsAreAllShown() {
    let sink = StringOutputSink()
    var now = 0.0
    let progress = KernelProgress(output: sink, statusInterval: 10, burst: 2, clock: { now })
    for epoch in 1...5 {
      progress.end("epoch \(epoch)")
      now += 1.5
    }
    progress.flush()
    #expect(sink.text == (1...5).map { "epoch \($0)\n" }.joined())
  }
}
