import Foundation
import Testing

/// `dpq experiment --data FILE`: the reference comparison on a user's own labelled CSV, through
/// the built binary.
@Suite struct ExperimentDataCommandTests {
  /// 8 classes in 2 groups of 4 on 6 columns plus a label column, with a header.
  func writeCSV(_ path: String) throws {
    var state: UInt64 = 12345
    func uniform() -> Double { // a small LCG: the file is the same on every machine
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    func normal() -> Double { (-2 * log(max(uniform(), 1e-12))).squareRoot() * cos(2 * .pi * uniform()) }
    let groups = (0..<2).map { _ in (0..<6).map { _ in 4 * normal() } }
    let classes = (0..<8).map { c in groups[c / 4].map { $0 + 1.5 * normal() } }
    var text = "a,b,c,d,e,f,label\n"
    for i in 0..<(8 * 30) {
      let c = i % 8
      text += classes[c].map { String(format: "%.4f", $0 + 0.5 * normal()) }.joined(separator: ",") + ",\(c)\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
  }

  /// A fresh scratch directory holding items.csv; the caller removes it.
  func csvDirectory(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "dpq-experiment-\(name)-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try writeCSV(dir + "/items.csv")
    return dir
  }

  @Test func aCSVGetsTheWholeComparison() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try csvDirectory("data")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runProcess(
      dpq,
      [
        "experiment", "--data", "items.csv", "--epochs", "4", "--blocks", "2", "--codewords", "4",
        "--dim", "8", "--json", "out.json",
      ], directory: dir)
    #expect(r.status == 0, "\(r.standardError)")
    let out = r.standardOutput
    // 3 queries and 15 training items per class; the model is an MLP on 6 columns
    #expect(
      out.contains("items.csv: 15 training items and 3 queries per class (seed 7): train 120, query 24, database 216"),
      "\(out)")
    for block in [
      "feature-ip: feature queries, inner product", "feature-l2: feature queries, squared L2", "class: class queries",
    ] {
      #expect(out.contains(block), "\(block)")
    }
    for row in ["DPQ ", "PQ ", "OPQ ", "RQ ", "PQ-raw ", "DPQ - best", "95% interval"] {
      #expect(out.contains("\n" + row) || out.contains("\n  " + row.trimmingCharacters(in: .whitespaces)), "\(row)")
    }
    #expect(out.contains("mAP@2b") && out.contains("mAP@4b") && !out.contains("mAP@6b"))
    #expect(out.contains("the 6 raw input values"))
    let json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out.json")))
      as? [String: Any]
    #expect(json?["protocol"] as? String == "data")
    #expect((json?["map"] as? [String: Any])?["DPQ"] != nil)
  }

  /// The ranking term's flags and --split-seed reach the run: its JSON records them, and a scale
  /// that is not positive is refused before any training.
  @Test func theRankingFlagsAndTheSplitSeedReachTheRun() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try csvDirectory("ranking")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runProcess(
      dpq,
      [
        "experiment", "--data", "items.csv", "--epochs", "2", "--blocks", "2", "--codewords", "4",
        "--dim", "8", "--ranking-weight", "0.5", "--ranking-scale", "2", "--no-ranking-end-to-end",
        "--seed", "8", "--split-seed", "9", "--json", "out.json",
      ], directory: dir)
    #expect(r.status == 0, "\(r.standardError)")
    let json =
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/out.json")))
      as? [String: Any]
    let settings = json?["settings"] as? [String: Any]
    #expect(
      settings?["ranking_weight"] as? Double == 0.5 && settings?["ranking_scale"] as? Double == 2, "\(settings ?? [:])")
    #expect(
      settings?["ranking_end_to_end"] as? Bool == false && settings?["split_seed"] as? Int == 9
        && settings?["seed"] as? Int == 8)
    let bad = try runProcess(dpq, ["experiment", "--data", "items.csv", "--ranking-scale", "0"], directory: dir)
    #expect(bad.status != 0 && bad.standardError.contains("--ranking-scale must be positive"), "\(bad.standardError)")
  }

  @Test func aDataRunRefusesWhatItCannotUse() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try csvDirectory("data-bad")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let both = try runProcess(dpq, ["experiment", "fm5k", "--data", "items.csv"], directory: dir)
    #expect(
      both.status != 0 && both.standardError.contains("give a protocol or --data, not both"), "\(both.standardError)")
    let shape = try runProcess(dpq, ["experiment", "--data", "items.csv", "--shape", "1,2,2"], directory: dir)
    #expect(
      shape.status != 0
        && shape.standardError.contains("cannot reshape the items of items.csv (6 values each) to [1, 2, 2]"),
      "\(shape.standardError)")
    try Data([0x93, 0x4e]).write(to: URL(fileURLWithPath: dir + "/x.npy"))
    let labels = try runProcess(dpq, ["experiment", "--data", "x.npy"], directory: dir)
    #expect(labels.status != 0 && labels.standardError.contains("x.npy holds no labels"), "\(labels.standardError)")
    let stray = try runProcess(dpq, ["experiment", "fm-small", "--train", "5"], directory: dir)
    #expect(stray.status != 0 && stray.standardError.contains("describe --data"), "\(stray.standardError)")
  }
}
