import Foundation
import Testing

/// `dpq bench backbones` and its PyTorch peer (scripts/peers/torch_backbones.py) at a small size
/// (64x64, batch 1, one run): both produce the AlexNet and ResNet-18 rows under the same workload
/// names, which is how scripts/bench pairs them. Speed is printed, never asserted here.
@Suite struct BenchBackbonesCommandTests {
  static let workloads = ["backbone/alexnet/64", "backbone/resnet18/64"]

  /// The rows of a `--json` document: workload -> (values, output shape).
  func rows(_ text: String) throws -> [String: ([Double], [Int])] {
    let line = try #require(text.split(separator: "\n").last.map(String.init), "no output")
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    #expect(doc["suite"] as? String == "backbones")
    let results = try #require(doc["results"] as? [[String: Any]])
    var out: [String: ([Double], [Int])] = [:]
    for r in results {
      let info = r["info"] as? [String: Any]
      out[r["workload"] as? String ?? "?"] = (r["values"] as? [Double] ?? [], info?["output"] as? [Int] ?? [])
    }
    return out
  }

  func check(_ rows: [String: ([Double], [Int])], side: String) {
    #expect(Set(rows.keys) == Set(Self.workloads), "\(side): \(rows.keys.sorted())")
    for (w, (values, shape)) in rows {
      #expect(values.count == 1 && values.allSatisfy { $0 > 0 && $0.isFinite }, "\(side) \(w): \(values)")
      #expect(shape == (w.contains("alexnet") ? [1, 4096] : [1, 512]), "\(side) \(w): output \(shape)")
    }
  }

  @Test func dpqProducesBothRows() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(
      dpq, ["bench", "backbones", "--json", "--runs", "1", "--size", "64", "--backbone-batch", "1"])
    #expect(r.status == 0, "\(r.standardError)")
    check(try rows(r.standardOutput), side: "dpq")
    let help = try runProcess(dpq, ["bench", "--help"])
    #expect(help.standardOutput.contains("backbones (AlexNet and ResNet-18"))
  }

  @Test func aSizeAlexNetCannotTakeIsRefused() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["bench", "backbones", "--runs", "1", "--size", "32"])
    #expect(r.status != 0)
    #expect(r.standardError.contains("--size 32") && r.standardError.contains("h, w >= 63"), "\(r.standardError)")
  }

  /// The peer runs in the project's Python (.venv from scripts/setup, with torchvision): missing,
  /// it fails this test.
  @Test func thePeerProducesTheSameRows() throws {
    let python = Paths.repositoryRoot + "/.venv/bin/python"
    try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python): run scripts/setup")
    let r = try runProcess(
      python,
      [
        Paths.repositoryRoot + "/scripts/peers/torch_backbones.py",
        "--runs", "1", "--size", "64", "--batch", "1",
      ])
    #expect(r.status == 0, "\(r.standardError)")
    check(try rows(r.standardOutput), side: "peer")
  }
}
