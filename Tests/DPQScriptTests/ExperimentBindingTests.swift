import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// `experiment(...)` on the user's own data, with several seeds (the language side of
/// `dpq experiment --data --seeds`).
@Suite struct ExperimentBindingTests {
  func run(_ source: String) -> (Result<Void, ScriptError>, String) {
    let sink = CapturingSink()
    let r = ScriptSession(output: sink).run(source: source, file: "experiment.dpq")
    return (r, sink.text)
  }

  @Test func aDatasetGetsTheComparisonOverSeveralSeeds() {
    let (r, out) = run(
      """
      d = blobs(n: 240, classes: 4, dim: 6, seed: 1)
      ex = experiment(d, epochs: 2, seeds: 2, dim: 8, blocks: 2, codewords: 4, opq_iterations: 2)
      print(ex.seeds, ex.bits, len(ex.comparisons))
      print(ex.sd["DPQ"]["4"] >= 0, ex.map["DPQ"]["4"] > 0.25, ex.map["PQ (class)"]["2"] > 0)
      print(ex.model.config.backbone, ex.split.query.count, ex.accuracy > 0.25)
      s = str(ex)
      print("2 seeds (7, 8)" in s, " ± " in s, "DPQ - best" in s)
      """)
    if case .failure(let e) = r { Issue.record("\(e)") }
    #expect(
      out == """
        [7, 8] [2, 4] 6
        true true true
        mlp 24 true
        true true true

        """, "\(out)")
  }

  @Test func aSplitIsTakenAsItIsAndABadProtocolIsNamed() {
    let (r, out) = run(
      """
      d = blobs(n: 120, classes: 3, dim: 5, seed: 2)
      s = d.split(train: 10, query: 4, seed: 3)
      ex = experiment(s, epochs: 1, baselines: false, dim: 4, blocks: 1, codewords: 4)
      print(ex.split.train.count, ex.split.query.count, ex.seeds, keys(ex.map))
      experiment("fm-tiny")
      """)
    #expect(out.hasPrefix("30 12 [7] [\"DPQ\", \"DPQ (feature-l2)\", \"DPQ (class)\"]\n"), "\(out)")
    guard case .failure(let e) = r else {
      Issue.record("an unknown protocol was accepted")
      return
    }
    #expect("\(e)".contains("experiment.dpq:5") && "\(e)".contains("fm-tiny"), "\(e)")
  }
}
