import DPQQuantization
import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// train()'s ranking term from the language: on by default, reached by its keywords, and a
/// meaningless scale refused.
@Suite struct TrainRankingTests {
  let setup = """
    d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
    fn model() {
      dpq(backbone: "mlp", input: 8, hidden: [16], dim: 8, blocks: 2, codewords: 4, classes: 4)
    }

    """

  func trained(_ keywords: String) throws -> [String: [Float]] {
    let s = ScriptSession(output: CapturingSink())
    let r = s.run(
      source: setup + "m = model()\ntrain(m, d, epochs: 3, batch: 16, seed: 2\(keywords))\n", file: "rank.dpq")
    if case .failure(let e) = r { throw e }
    guard case .host(let m as ModelObject)? = s.interpreter.globals.values["m"] else {
      throw ScriptError.failure("no model m")
    }
    return Dictionary(uniqueKeysWithValues: m.model.stateDict().map { ($0.0, $0.1.scalars) })
  }

  @Test func theRankingTermIsOnByDefaultAndItsKeywordsTakeEffect() throws {
    let off = try trained(", ranking_weight: 0")
    // Weight 0 leaves the term out: its scale and routing then change nothing (same seed, same batches).
    #expect(try trained(", ranking_weight: 0, ranking_scale: 9, ranking_end_to_end: false") == off)
    let byDefault = try trained("")
    #expect(byDefault["codebooks.1"] != off["codebooks.1"])
    #expect(byDefault.values.allSatisfy { $0.allSatisfy(\.isFinite) })
    // Kept off the network, the term still trains the codebooks but changes the network otherwise.
    let codebooksOnly = try trained(", ranking_end_to_end: false")
    let network = byDefault.keys.filter { $0.hasPrefix("backbone.") }
    #expect(!network.isEmpty && network.contains { byDefault[$0] != codebooksOnly[$0] })
  }

  @Test func aScaleThatIsNotPositiveIsRefused() {
    let s = ScriptSession(output: CapturingSink())
    let r = s.run(
      source: setup + "train(model(), d, epochs: 1, batch: 16, ranking_weight: 0.1, ranking_scale: 0)\n",
      file: "rank.dpq")
    guard case .failure(let error) = r else {
      Issue.record("ranking_scale: 0 accepted")
      return
    }
    #expect("\(error)".contains("ranking") && "\(error)".contains("rank.dpq:"), "\(error)")
  }
}
