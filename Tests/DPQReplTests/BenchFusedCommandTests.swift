import DPQTensor
import Foundation
import Testing

/// `dpq bench fused` at a small batch and one run: a row per fused kernel of GradientTable, timed
/// on each side, with the fused and composite results agreeing. Speed is printed, never asserted.
@Suite struct BenchFusedCommandTests {
  @Test func everyFusedKernelHasARowAndAgreesWithItsComposite() throws {
    guard let dpq = builtBinary() else { return }
    for side in ["fused", "composite"] {
      let r = try runProcess(dpq, ["bench", "fused", "--json", "--runs", "1", "--batch", "4", "--side", side])
      #expect(r.status == 0, "\(r.standardError)")
      let line = try #require(r.standardOutput.split(separator: "\n").last.map(String.init), "no output")
      let doc = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(doc["suite"] as? String == "fused")
      let results = try #require(doc["results"] as? [[String: Any]])
      let rows = Set(results.compactMap { $0["workload"] as? String })
      #expect(rows == Set(GradientTable.fusedKernels.map(\.benchmarkRow)), "\(side): \(rows.sorted())")
      for row in results {
        let values = row["values"] as? [Double] ?? []
        #expect(values.count == 1 && values.allSatisfy { $0 > 0 && $0.isFinite }, "\(side) \(row)")
        let info = row["info"] as? [String: Any] ?? [:]
        let forward = info["max_abs_difference_forward"] as? Double ?? .infinity
        let gradient = info["max_abs_difference_gradient"] as? Double ?? .infinity
        #expect(forward < 1e-3 && gradient < 1e-2, "\(row["workload"] ?? "?"): \(forward), \(gradient)")
      }
    }
    let bad = try runProcess(dpq, ["bench", "fused", "--side", "neither"])
    #expect(bad.status != 0 && bad.standardError.contains("--side"), "\(bad.standardError)")
  }
}
