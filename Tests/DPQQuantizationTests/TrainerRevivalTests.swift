import DPQNN
import DPQTensor
import Testing

@testable import DPQQuantization

/// `reviveUnusedCodewords`: codewords no item chose in a stage-2 epoch are put on residuals items
/// have, so the next epoch uses them.
@Suite struct TrainerRevivalTests {
  /// 3-class blobs and a model (squared-L2 similarity) whose codewords 1..K-1 sit 1,000 away
  /// from every feature: only codeword 0 is ever chosen, and the others' soft weights
  /// (exp(-gamma * 10^6)) are 0, so no gradient moves them.
  func setUp(revive: Bool) throws -> [DPQEpochLog] {
    let (x, y) = BlobsFixture.data(n: 96, classes: 3, dim: 6, seed: 3)
    var c = BlobsFixture.configuration(dim: 6, classes: 3, codewords: 16)
    c.similarity = .negativeSquaredL2
    let model = try DPQModel(c, seed: 0)
    for p in model.codebooks {
      p.value = Tensor(shape: [16, 8]) { b in
        for k in 0..<16 { for j in 0..<8 { b[k * 8 + j] = k == 0 ? 0 : 1000 } }
      }
    }
    var o = DPQTrainingOptions.recommended
    o.epochs = 4
    o.warmupEpochs = 1
    o.batchSize = 32
    o.reviveUnusedCodewords = revive
    return try DPQTrainer(model: model, options: o).fit(inputs: x, labels: y)
  }

  @Test func unusedCodewordsAreRevivedAfterAStage2Epoch() throws {
    let log = try setUp(revive: true)
    let first = try #require(log.first { $0.stage == 2 })
    #expect(first.codewordUsage == [1.0 / 16, 1.0 / 16], "\(first.codewordUsage)")
    // the next epochs choose among the revived codewords: most of them are in use
    let last = try #require(log.last)
    #expect(last.codewordUsage.allSatisfy { $0 >= 0.5 }, "\(log.map(\.codewordUsage))")
  }

  @Test func withoutRevivalTheyStayUnused() throws {
    let log = try setUp(revive: false)
    #expect(
      log.filter { $0.stage == 2 }.allSatisfy { $0.codewordUsage == [1.0 / 16, 1.0 / 16] },
      "\(log.map(\.codewordUsage))")
  }
}
