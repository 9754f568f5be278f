import Foundation
import Testing

/// `dpq bench scale` end to end through the built binary, on small sizes: the table, the JSON
/// report, the Markdown and SVG outputs, the random-codes path beyond --encode-limit, and the
/// faiss rows from the project's Python. Speed is printed by the command, never asserted here.
@Suite struct BenchScaleCommandTests {
  @Test func benchHelpNamesTheScaleSuite() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["bench", "--help"])
    #expect(r.status == 0)
    #expect(r.standardOutput.contains("scale (encoding, memory"))
    #expect(r.standardOutput.contains("--encode-limit"))
  }

  @Test func smallSizesWriteTheTableJSONMarkdownAndCurves() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try temporaryDirectory("bench-scale")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runProcess(
      dpq,
      [
        "bench", "scale", "--sizes", "8000,2000", "--encode-limit", "4000", "--queries", "50",
        "--runs", "1", "--python", "none", "--data", dir, "--out", dir + "/scale",
      ])
    #expect(r.status == 0, "\(r.standardError)")
    let lines = r.standardOutput.split(separator: "\n").map(String.init)
    #expect(lines.contains { $0.hasPrefix("items") && $0.contains("queries/s dpq") && $0.contains("load ns/item") })
    let small = try #require(lines.first { $0.hasPrefix("2,000 ") })
    let large = try #require(lines.first { $0.hasPrefix("8,000 ") })
    #expect(!small.contains("random codes"))
    #expect(large.contains("random codes"))
    #expect(r.standardOutput.contains("note: faiss not run: --python none"))
    #expect(r.standardOutput.contains("per-item cost at 8,000 relative to 2,000"))

    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/scale.json")))
        as? [String: Any])
    #expect(json["suite"] as? String == "scale")
    let results = try #require(json["results"] as? [[String: Any]])
    let workloads = Set(results.compactMap { $0["workload"] as? String })
    for w in [
      "scale/2000/encode", "scale/2000/build", "scale/2000/memory", "scale/2000/search", "scale/2000/save",
      "scale/2000/load", "scale/8000/search",
    ] {
      #expect(workloads.contains(w), "missing \(w)")
    }
    #expect(!workloads.contains("scale/8000/encode"))
    // Memory per item: 4 code bytes + 4 prefix norms of 4 bytes, plus the codebooks shared by all items.
    let memory = try #require(results.first { $0["workload"] as? String == "scale/8000/memory" })
    let perItem = try #require((memory["values"] as? [Double])?.first)
    #expect(abs(perItem - (20 + 4.0 * 256 * 300 * 4 / 8000)) < 1e-6)
    let markdown = try String(contentsOfFile: dir + "/scale.md", encoding: .utf8)
    #expect(markdown.contains("![queries/s and encoding time against the database size](scale.svg)"))
    let svg = try String(contentsOfFile: dir + "/scale.svg", encoding: .utf8)
    #expect(svg.contains("<svg"))
    // The index files are removed once measured.
    #expect(!FileManager.default.fileExists(atPath: dir + "/scale-2000.safetensors"))
  }

  @Test func faissRowsComeFromTheProjectsPython() throws {
    guard let dpq = builtBinary() else { return }
    let python = Paths.repositoryRoot + "/.venv/bin/python"
    try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python): run scripts/setup")
    let dir = try temporaryDirectory("bench-scale-faiss")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runProcess(
      dpq,
      [
        "bench", "scale", "--sizes", "3000", "--queries", "40", "--runs", "1",
        "--python", python, "--data", dir, "--json",
      ], directory: Paths.repositoryRoot)
    #expect(r.status == 0, "\(r.standardError)")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.standardOutput.utf8)) as? [String: Any])
    let results = try #require(doc["results"] as? [[String: Any]])
    func value(_ w: String) -> Double? {
      (results.first { $0["workload"] as? String == w }?["values"] as? [Double])?.first
    }
    #expect(value("scale/3000/search/faiss") != nil, "\(r.standardError)")
    #expect(value("scale/3000/encode/faiss") != nil)
    // faiss searched the same codes: its top-100 lists hold dpq's items (ties aside).
    #expect((value("scale/3000/agreement/faiss") ?? 0) >= 0.99)
  }
}
