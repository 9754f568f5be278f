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
    try "x = zeros([50000000])\nwhile true { save_npy(x, \"out.npy\") }\n".write(toFile: dir + "/w.dpq", atomically: true, encoding: .utf8)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Paths.binary)
    process.arguments = ["run", "w.dpq"]
    process.currentDirectoryURL = URL(fileURLWithPath: dir)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // not timed: the signal goes once a temporary file is seen
    let deadline = Date().addingTimeInterval(60)
    func temporaries() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.contains(".tmp-") } }
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
}
