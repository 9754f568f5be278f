import Foundation
import Testing
@testable import DPQScript

@Suite struct ScratchTests {
  @Test func scratch() throws {
    guard let path = ProcessInfo.processInfo.environment["DPQ_SCRATCH"] else { return }
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let result = session.run(file: path)
    print("----OUTPUT----\n" + sink.text)
    if case .failure(let e) = result { print("----ERROR----\n\(e)") }
  }
}
