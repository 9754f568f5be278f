import Foundation
import Testing

/// `dpq run`, `dpq notebook` and standard-input mode, through the built binary.
@Suite struct CommandLineTests {
  @Test func runPrintsTheScriptsOutput() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["run", "hello.dpq", "--", "5", "fast"], directory: Paths.fixtures)
    #expect(r.status == 0)
    #expect(r.standardError == "")
    #expect(r.standardOutput == (try Paths.fixture("hello.out")))
  }

  @Test func aFileArgumentWithoutRunRunsIt() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["hello.dpq", "5", "fast"], directory: Paths.fixtures)
    #expect(r.status == 0)
    #expect(r.standardOutput == (try Paths.fixture("hello.out")))
  }

  @Test func anErrorGivesStatusOneAndALocatedDiagnostic() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["run", "error.dpq"], directory: Paths.fixtures)
    #expect(r.status == 1)
    #expect(r.standardOutput == "before\n")
    #expect(
      r.standardError == """
        error.dpq:1:20: error: division by zero
        fn ratio(a, b) { a / b }
                           ^
          in fn ratio at error.dpq:1:20
          in script at error.dpq:3:5

        """)
  }

  @Test func aMissingFileIsReported() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["run", "no-such-file.dpq"], directory: Paths.fixtures)
    #expect(r.status == 1)
    #expect(r.standardError == "dpq: cannot read 'no-such-file.dpq': no such file, or not readable\n")
  }

  @Test func standardInputRunsAsAScriptWithoutPrompts() throws {
    guard let dpq = builtBinary() else { return }
    let ok = try runProcess(dpq, [], input: "x = 2\nprint(\"x = {x}\")\nx * 10\n")
    #expect(ok.status == 0)
    #expect(ok.standardOutput == "x = 2\n") // a script prints only what it prints
    let bad = try runProcess(dpq, [], input: "print(1)\ny = [1, 2]\ny[5]\n")
    #expect(bad.status == 1)
    #expect(bad.standardOutput == "1\n")
    #expect(bad.standardError.hasPrefix("<stdin>:3:"))
    #expect(bad.standardError.contains("error: list index 5 out of range for a list of length 2"))
  }

  @Test func envSeesDPQFast() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["run", "-"], input: "print(env(\"DPQ_FAST\"))\n", environment: ["DPQ_FAST": "1"])
    #expect(r.standardOutput == "1\n")
  }

  /// The report with its first line (date and timing) replaced.
  func normalised(_ report: String) -> String {
    var lines = report.split(separator: "\n", omittingEmptySubsequences: false)
    if !lines.isEmpty { lines[0] = "HEADER" }
    return lines.joined(separator: "\n")
  }

  @Test func notebookWritesTheReport() throws {
    guard let dpq = builtBinary() else { return }
    let out = try temporaryDirectory("cli-notebook")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = try runProcess(dpq, ["notebook", "notebook.dpq", "--out", out], directory: Paths.fixtures)
    #expect(r.status == 0)
    #expect(r.standardError == "")
    let lines = r.standardOutput.split(separator: "\n")
    #expect(lines.count == 3)
    #expect(lines.first?.hasPrefix("[1/2] line 7: ") == true)
    #expect(lines.last?.hasPrefix("wrote \(out)/notebook.md (2 code cells, 0 figures, ") == true)
    let report = try String(contentsOfFile: out + "/notebook.md", encoding: .utf8)
    #expect(report.hasPrefix("*`notebook.dpq` run on 20"))
    #expect(report.split(separator: "\n").first?.contains("with dpq 0.2.0 in ") == true)
    #expect(normalised(report) == normalised(try Paths.fixture("notebook.golden.md")))
  }

  @Test func aFailingNotebookGivesStatusOne() throws {
    guard let dpq = builtBinary() else { return }
    let out = try temporaryDirectory("cli-failing")
    defer { try? FileManager.default.removeItem(atPath: out) }
    let r = try runProcess(dpq, ["notebook", "failing.dpq", "--out", out], directory: Paths.fixtures)
    #expect(r.status == 1)
    #expect(r.standardError.hasPrefix("failing.dpq:10:9: error: undefined variable 'missing'\n"))
    let report = try String(contentsOfFile: out + "/failing.md", encoding: .utf8)
    #expect(normalised(report) == normalised(try Paths.fixture("failing.golden.md")))
    let kept = try runProcess(
      dpq, ["notebook", "failing.dpq", "--out", out, "--keep-going"], directory: Paths.fixtures)
    #expect(kept.status == 1)
    #expect(try String(contentsOfFile: out + "/failing.md", encoding: .utf8).contains("third cell"))
  }

  /// Starts `arguments` in the fixtures directory, waits for `marker` on its standard output,
  /// sends SIGINT, and returns the process (still running or not) with its standard error.
  func interruptAfter(_ marker: String, _ executable: String, _ arguments: [String]) throws -> (Process, Pipe) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: Paths.fixtures)
    var env = ProcessInfo.processInfo.environment
    env["DPQ_HISTORY"] = ""
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = out
    process.standardError = err
    try process.run()
    var seen = ""
    let deadline = Date().addingTimeInterval(30)
    while !seen.contains(marker) && Date() < deadline && process.isRunning {
      seen += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
    }
    #expect(seen.contains(marker))
    Thread.sleep(forTimeInterval: 0.2)
    kill(process.processIdentifier, SIGINT)
    return (process, err)
  }

  @Test func sigintStopsAScriptWithStatus130AndAMessage() throws {
    guard let dpq = builtBinary() else { return }
    let (process, err) = try interruptAfter("counting", dpq, ["run", "forever.dpq"])
    process.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 130)
    #expect(message.hasPrefix("forever.dpq:"))
    #expect(message.contains(": error: interrupted (Ctrl-C): the script stopped here; exit status 130\n"))
  }

  @Test func sigintStopsTrainingInAScriptAfterTheBatch() throws {
    guard let dpq = builtBinary() else { return }
    let (process, err) = try interruptAfter("epoch 2/1000000", dpq, ["run", "train-forever.dpq"])
    process.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 130)
    #expect(
      message.hasPrefix(
        "train-forever.dpq:4:1: error: interrupted (Ctrl-C): the script stopped here; exit status 130\n"))
  }

  @Test func aScriptStartedWithSIGINTIgnoredKeepsIgnoringIt() throws {
    guard let dpq = builtBinary() else { return }
    // what a shell does for a job started with `&`
    let (process, _) = try interruptAfter("counting", "/bin/sh", ["-c", "trap '' INT; exec '\(dpq)' run forever.dpq"])
    Thread.sleep(forTimeInterval: 0.5)
    #expect(process.isRunning)
    kill(process.processIdentifier, SIGKILL) // SIGTERM may be blocked: a child inherits the test thread's mask
    process.waitUntilExit()
  }
}
