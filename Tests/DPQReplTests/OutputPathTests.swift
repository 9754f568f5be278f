import Foundation
import Testing

/// `dpq experiment --json PATH` refuses a path it could never write before the run starts, not
/// after it (issue 12: `--json /proc/x.json` failed only after the whole experiment).
@Suite struct OutputPathTests {
  @Test(arguments: [("/proc/x.json", "does not take new files"), ("/dev/null", "not a regular file")])
  func anUnwritableJSONPathIsRefusedBeforeTheRun(path: String, message: String) throws {
    guard let dpq = builtBinary() else { return }
    let started = Date()
    let r = try runProcess(dpq, ["experiment", "fm-small", "--epochs", "1", "--json", path])
    #expect(r.status == 64, "\(r.standardError)")
    #expect(r.standardError.contains("cannot write \(path)") && r.standardError.contains(message), "\(r.standardError)")
    #expect(!r.standardOutput.contains("epoch"), "the run started: \(r.standardOutput)")
    #expect(Date().timeIntervalSince(started) < 30)
  }
}
