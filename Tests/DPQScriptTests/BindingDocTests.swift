import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// The dpq examples of docs/language.md run and print what they should.
@Suite struct BindingDocTests {
  /// The first code block after `marker` in docs/language.md.
  func block(after marker: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/language.md")
    let doc = try String(contentsOf: url, encoding: .utf8)
    let at = try #require(doc.range(of: marker), "docs/language.md lacks '\(marker)'")
    let rest = doc[at.upperBound...]
    let open = try #require(rest.range(of: "```\n"))
    let close = try #require(rest[open.upperBound...].range(of: "\n```"))
    return String(rest[open.upperBound..<close.lowerBound])
  }

  func run(_ source: String) -> (CapturingSink, ScriptSession) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    if case .failure(let e) = session.run(source: source, file: "doc.dpq") { Issue.record("the example fails:\n\(e)") }
    return (sink, session)
  }

  @Test func trainingLoopExampleLearns() throws {
    let (_, session) = run(try block(after: "A training loop written in the language"))
    guard case .success(let v?) = session.evaluate(entry: "accuracy(net(data.features), data.labels);") else {
      Issue.record("accuracy did not evaluate")
      return
    }
    #expect(v.repr() == "1")
  }

  @Test func completeDPQExampleRuns() throws {
    let (sink, _) = run(try block(after: "## A complete DPQ example"))
    #expect(
      sink.lines == [
        "stages: [1, 2]", "code lengths: [4, 8, 12, 16]", "table rows: 8", "blocks measured: 4",
        "results per query: 5", "figure \"mAP against code length\" (1 panel, 2 series)",
        "figure \"Codeword usage\" (4 panels, 4 series)",
      ])
  }
}
