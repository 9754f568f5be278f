import Foundation
import Testing

/// A SIGTERM while dpq writes a file: the temporary file beside the target is removed before dpq
/// dies of the signal (issue 12: a kill during a write once left an 84 MB orphan).
@Suite struct TerminationCleanupTests {
  @Test func aSIGTERMDuringASaveLeavesNoTemporaryFile() throws {
    guard builtBinary() != nil else { return }
    let dir = try temporaryDirectory("sigterm")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // 200 MB per save, saved until the signal comes: a temporary file exists most of the time
    try "x = zeros([50000000])\nwhile true { save_npy(x, \"out.npy\") }\n".write(
      toFile: dir + "/w.dpq", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Paths.binary)
    process.arguments = ["run", "w.dpq"]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // not timed: the signal goes once a temporary file is seen
    let deadline = Date().addingTimeInterval(60)
    func temporaries() -> [String] {
      ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }
    while temporaries().isEmpty && Date() < deadline && process.isRunning { usleep(1000) }
    #expect(!temporaries().isEmpty, "no save was seen in progress")
    kill(process.processIdentifier, SIGTERM)
    let killDeadline = Date().addingTimeInterval(30)
    while process.isRunning && Date() < killDeadline { usleep(10_000) }
    if process.isRunning {
      Issue.record("dpq did not die of SIGTERM within 30 s")
      kill(process.processIdentifier, SIGKILL)
    }
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGTERM)
    #expect(temporaries().isEmpty, "left behind: \(temporaries())")
  }

  /// A SIGKILL cannot be caught: the temporary file of the save it interrupted stays, and the old
  /// file is intact; the next dpq that writes into the directory removes the orphan (issue 12). The
  /// kill comes at a fixed point, not after a delay: DPQ_TEST_HOLD_WRITE stops the save with its
  /// 20 MB flushed to the temporary file and names that file.
  @Test func anOrphanOfASIGKILLIsSweptByTheNextWrite() throws {
    guard builtBinary() != nil else { return }
    let dir = try temporaryDirectory("sigkill")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    func temporaries() -> [String] {
      ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") }
    }
    let first = try runProcess(
      Paths.binary, ["run", "-"], input: "save_npy(arange(0, 10), \"out.npy\")\n", directory: dir)
    #expect(first.status == 0, "\(first.standardError)")
    let original = try Data(contentsOf: URL(fileURLWithPath: dir + "/out.npy"))

    let marker = dir + "/held"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Paths.binary)
    process.arguments = ["run", "-"]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    process.environment = ProcessInfo.processInfo.environment.merging(["DPQ_TEST_HOLD_WRITE": marker]) { $1 }
    let input = Pipe()
    process.standardInput = input
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    input.fileHandleForWriting.write(Data("x = zeros([5000000])\nsave_npy(x, \"out.npy\")\n".utf8))
    try input.fileHandleForWriting.close()
    // not timed: the kill waits for the hook's word that the save is held before its rename
    let deadline = Date().addingTimeInterval(120)
    var held = ""
    while held.isEmpty && process.isRunning && Date() < deadline {
      held = (try? String(contentsOfFile: marker, encoding: .utf8)) ?? ""
      if held.isEmpty { usleep(2000) }
    }
    #expect(!held.isEmpty, "the save was never held")
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
    // the hook names the temporary file as dpq does, relative to its working directory
    let heldPath = held.hasPrefix("/") ? held : dir + "/" + held
    let size = (try? FileManager.default.attributesOfItem(atPath: heldPath)[.size] as? Int) ?? 0
    #expect(
      temporaries() == [(held as NSString).lastPathComponent] && size >= 20_000_000, "\(temporaries()), \(size) bytes")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out.npy")) == original, "the old file changed")

    let next = try runProcess(
      Paths.binary, ["run", "-"], input: "save_npy(ones([3]), \"other.npy\")\n", directory: dir)
    #expect(next.status == 0, "\(next.standardError)")
    #expect(temporaries().isEmpty, "left behind: \(temporaries())")
    #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/out.npy")) == original)
  }
}
