import DPQQuantization
import Foundation
import Testing
@testable import DPQScript

/// train()'s ranking term from the language: it is reached by its keywords, changes what is
/// trained, and refuses a meaningless scale.
@Suite struct TrainRankingTests {
  let setup = """
    d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
    fn model() {
      dpq(backbone: "mlp", input: 8, hidden: [16], dim: 8, blocks: 2, codewords: 4, classes: 4)
    }

    """

  func trained(_ keywords: String) throws -> [String: [Float]] {
    let s = ScriptSession(output: CapturingSink())
    let r = s.run(source: setup + "m = model()\ntrain(m, d, epochs: 3, batch: 16, seed: 2\(keywords))\n", file: "rank.dpq")
    if case .failure(let e) = r { throw e }
    guard case .host(let m as ModelObject)? = s.interpreter.globals.values["m"] else { throw ScriptError.failure("no model m") }
    return Dictionary(uniqueKeysWithValues: m.model.stateDict().map { ($0.0, $0.1.scalars) })
  }

  @Test func theRankingWeightChangesTheCodebooksAndZeroLeavesTheTermOut() throws {
    let plain = try trained("")
    #expect(try trained(", ranking_weight: 0") == plain)   // the same seed and batches: identical
    let ranked = try trained(", ranking_weight: 0.5, ranking_scale: 4")
    #expect(ranked["codebooks.1"] != plain["codebooks.1"])
    #expect(ranked.values.allSatisfy { $0.allSatisfy(\.isFinite) })
  }

  @Test func aScaleThatIsNotPositiveIsRefused() {
    let s = ScriptSession(output: CapturingSink())
    let r = s.run(source: setup + "train(model(), d, epochs: 1, batch: 16, ranking_weight: 0.1, ranking_scale: 0)\n", file: "rank.dpq")
    guard case .failure(let error) = r else { Issue.record("ranking_scale: 0 accepted"); return }
    #expect("\(error)".contains("ranking") && "\(error)".contains("rank.dpq:"), "\(error)")
  }
}
