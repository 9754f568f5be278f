import DPQNN
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// The training objective's terms (PAPER.md plus the prefix classification): their gradients by
/// central differences, and which parameters each term reaches.
@Suite struct TrainerObjectiveTests {
  func model(similarity: Similarity = .cosine) throws -> DPQModel {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [5]
    c.hiddenSizes = [7]
    c.featureDimension = 4
    c.classCount = 3
    c.blockCount = 2
    c.codewordCount = 4
    c.similarity = similarity
    c.gamma = 2
    c.dropout = 0 // deterministic forward passes for the differences
    let m = try DPQModel(c, seed: 3)
    // Codewords on the scale of the features, so that a difference step of 1e-3 does not move a
    // hard assignment (the N(0, 0.01^2) start is as small as the step).
    var g = RandomGenerator(seed: 4)
    for p in m.codebooks { p.value = try Tensor.randomNormal(p.shape, std: 0.5, using: &g) }
    return m
  }

  func batch() throws -> (x: Tensor, labels: [Int]) {
    var g = RandomGenerator(seed: 8)
    return (try Tensor.randomNormal([6, 5], using: &g), [0, 1, 2, 0, 1, 2])
  }

  /// Central differences of the objective against backward(), over a few entries of every
  /// parameter the objective reaches (relative error, Float32 with epsilon 1e-3).
  /// With a term detached from the network, the network's parameters still change that term's
  /// value (through x) but by design not its gradient: then only the codebooks and the
  /// classifier, which every term reaches directly, are compared.
  /// `term` picks what is differentiated (the total by default; one term alone keeps the
  /// differences' Float32 rounding on that term's scale, not the total's).
  /// `compared` narrows the parameters compared.
  func checkGradients(
    _ options: DPQTrainingOptions, similarity: Similarity, compared: (String) -> Bool = { _ in true },
    term: @escaping (DPQTrainer.StepObjective) -> Tensor = { $0.total }
  ) throws -> Double {
    let everyTermReachesNetwork =
      options.quantizationReachesNetwork && options.prefixClassificationReachesNetwork
      && (options.rankingWeight == 0 || options.rankingReachesNetwork)
    let m = try model(similarity: similarity)
    let trainer = try DPQTrainer(model: m, options: options)
    let (x, y) = try batch()
    m.zeroGrad()
    try term(trainer.objective(batch: x, stage: 2, labels: y, multiHot: nil)).backward()
    var worst = 0.0
    for (name, p) in m.namedParameters() {
      guard let grad = p.grad?.scalars, compared(name) else { continue }
      if !everyTermReachesNetwork && !(name.hasPrefix("codebooks.") || name.hasPrefix("classifier.")) { continue }
      for i in Swift.stride(from: 0, to: p.count, by: max(1, p.count / 5)) {
        let eps: Float = 1e-3
        var values = p.value.scalars
        let original = values[i]
        values[i] = original + eps
        p.value = try Tensor(shape: p.shape, scalars: values)
        let plus = try Tensor.withNoGrad {
          try term(trainer.objective(batch: x, stage: 2, labels: y, multiHot: nil)).item()
        }
        values[i] = original - eps
        p.value = try Tensor(shape: p.shape, scalars: values)
        let minus = try Tensor.withNoGrad {
          try term(trainer.objective(batch: x, stage: 2, labels: y, multiHot: nil)).item()
        }
        values[i] = original
        p.value = try Tensor(shape: p.shape, scalars: values)
        let numeric = Double(plus - minus) / Double(2 * eps)
        let error = abs(numeric - Double(grad[i])) / max(1e-2, abs(numeric) + abs(Double(grad[i])))
        if error > worst {
          worst = error
          if error > 0.05 { print("\(name)[\(i)]: numeric \(numeric), analytic \(grad[i])") }
        }
      }
    }
    return worst
  }

  @Test(arguments: [Similarity.cosine, .negativeSquaredL2])
  func theFullObjectiveHasCorrectGradients(similarity: Similarity) throws {
    var o = DPQTrainingOptions()
    o.prefixClassificationWeight = 0.5
    o.quantizationReachesNetwork = true
    #expect(try checkGradients(o, similarity: similarity) < 0.05)
    o.prefixClassificationReachesNetwork = false
    o.quantizationReachesNetwork = false
    #expect(try checkGradients(o, similarity: similarity) < 0.05)
    o.prefixClassificationReachesNetwork = true // the two groups differ: the blocks run twice
    #expect(try checkGradients(o, similarity: similarity) < 0.05)
  }

  @Test(arguments: [Similarity.cosine, .negativeSquaredL2])
  func theRankingTermHasCorrectGradients(similarity: Similarity) throws {
    var o = DPQTrainingOptions()
    o.rankingWeight = 0.5
    o.rankingScale = 2
    o.quantizationReachesNetwork = true
    // The term alone, on the parameters it touches (the codebooks through Xh_m, the feature layer
    // through the queries): the backbone's entries here are ~3e-3, no larger than the Float32
    // rounding of a loss near 1 in differences of step 1e-3 (a larger step moves hard codes).
    // The math itself is checked below on free tensors.
    let ranking: (DPQTrainer.StepObjective) -> Tensor = { $0.ranking! }
    let touched: (String) -> Bool = { !$0.hasPrefix("backbone.") }
    #expect(try checkGradients(o, similarity: similarity, compared: touched, term: ranking) < 0.05)
    o.quantizationReachesNetwork = false
    o.prefixClassificationReachesNetwork = false
    o.rankingReachesNetwork = false
    #expect(try checkGradients(o, similarity: similarity, compared: touched, term: ranking) < 0.05)
  }

  /// The ranking loss's gradients by central differences on free query and database tensors
  /// (smooth everywhere, so a step of 1e-2 is safe), for single labels and multi-hot rows.
  @Test func theRankingLossHasCorrectGradientsOnFreeTensors() throws {
    var g = RandomGenerator(seed: 11)
    let queries = try Tensor.randomNormal([5, 3], using: &g)
    let database = try Tensor.randomNormal([5, 3], using: &g)
    let single = try PrefixRanking(labels: [0, 1, 0, 1, 2], multiHot: nil, count: 5)
    let multi = try PrefixRanking(
      labels: [], multiHot: Tensor([[1, 0], [0, 1], [1, 1], [0, 1], [1, 0]]), count: 5)
    for ranking in [single, multi] {
      let result = try Tensor.checkGradients(
        of: { try ranking.loss(queries: $0[0], database: $0[1]) }, at: [queries, database])
      #expect(result.maxError < 2e-3, "\(result)")
    }
  }

  /// Three items, labels 0, 0, 1: item 2 has no other item of its class and is left out; items 0
  /// and 1 each have one relevant item among two others, so their loss is
  /// log(e^S01 + e^S02) - S01 (and log(e^S10 + e^S12) - S10), averaged.
  @Test func theRankingTermIsNCAOverTheOtherItemsOfTheBatch() throws {
    let q = try Tensor([[1, 0], [0, 1], [1, 1]])
    let db = try Tensor([[0.5, 0.2], [0.1, 0.9], [-0.3, 0.4]])
    let s: [[Double]] = [[0.5, 0.1, -0.3], [0.2, 0.9, 0.4], [0.7, 1.0, 0.1]] // q db^T by hand
    let expected = ((log(exp(s[0][1]) + exp(s[0][2])) - s[0][1]) + (log(exp(s[1][0]) + exp(s[1][2])) - s[1][0])) / 2
    let ranking = try PrefixRanking(labels: [0, 0, 1], multiHot: nil, count: 3)
    #expect(abs(Double(try ranking.loss(queries: q, database: db).item()) - expected) < 1e-5)
    // Multi-hot rows: item 2 shares label 1 with item 1, so every item now has a relevant one.
    let multi = try PrefixRanking(labels: [], multiHot: Tensor([[1, 0], [1, 1], [0, 1]]), count: 3)
    let item2 = log(exp(s[2][0]) + exp(s[2][1])) - s[2][1]
    let item1 = log(exp(s[1][0]) + exp(s[1][2])) - log(exp(s[1][0]) + exp(s[1][2]))
    let all = ((log(exp(s[0][1]) + exp(s[0][2])) - s[0][1]) + item1 + item2) / 3
    #expect(abs(Double(try multi.loss(queries: q, database: db).item()) - all) < 1e-5)
  }

  @Test func thePrefixTermIsTheSumOfTheClassifiersLossOnEverySoftPrefix() throws {
    let m = try model()
    var o = DPQTrainingOptions()
    o.prefixClassificationWeight = 0.3
    let trainer = try DPQTrainer(model: m, options: o)
    let (x, y) = try batch()
    let step = try Tensor.withNoGrad { try trainer.objective(batch: x, stage: 2, labels: y, multiHot: nil) }
    let features = try Tensor.withNoGrad { try m.network.features(x) }
    let q = try ProgressiveQuantization.forward(
      features, codebooks: m.codebooks.map(\.value), similarity: .cosine, gamma: 2)
    var expected: Float = 0
    for xs in q.softReconstructions {
      expected += try softmaxCrossEntropy(logits: m.network.logits(features: xs), labels: y).item()
    }
    #expect(abs(try step.prefixClassification!.item() - expected) < 1e-5)
    // total = L_cls + (tau / lambda) L_Q + (lambda_q / lambda) * prefix
    let c = m.configuration
    let l = step.terms!
    let lq = try (l.soft.item() + c.mu * l.hard.item() + c.nu * l.joint.item()) * c.tau / c.lambda
    let total = try step.classification.item() + lq + 0.3 / c.lambda * expected
    #expect(abs(try step.total.item() - total) < 1e-4)
  }

  @Test func termsReachTheNetworkOnlyWhenTheOptionsSaySo() throws {
    let (x, y) = try batch()
    for (quantization, prefix) in [(false, false), (true, false), (false, true)] {
      let m = try model()
      var o = DPQTrainingOptions()
      o.prefixClassificationWeight = 1
      o.quantizationReachesNetwork = quantization
      o.prefixClassificationReachesNetwork = prefix
      let trainer = try DPQTrainer(model: m, options: o)
      // Only the quantization and prefix terms: subtract L_cls(x)'s gradient by running it alone.
      m.zeroGrad()
      let step = try trainer.objective(batch: x, stage: 2, labels: y, multiHot: nil)
      try (step.total - step.classification).backward()
      let backboneGrad = m.namedParameters().first { $0.0.hasPrefix("backbone.") }!.1.grad
      let reaches = backboneGrad.map { $0.scalars.contains { $0 != 0 } } ?? false
      #expect(reaches == (quantization || prefix), "quantization \(quantization), prefix \(prefix)")
    }
  }

  @Test func stageOneRunsNoQuantization() throws {
    let m = try model()
    let trainer = try DPQTrainer(model: m, options: DPQTrainingOptions())
    let (x, y) = try batch()
    let step = try trainer.objective(batch: x, stage: 1, labels: y, multiHot: nil)
    #expect(step.quantization == nil && step.terms == nil)
    #expect(try step.total.item() == step.classification.item())
  }

  @Test func adamTrainsTheNetworkWhenAsked() throws {
    let m = try model()
    var o = DPQTrainingOptions()
    o.networkOptimizer = .adam
    o.networkLearningRate = 1e-3
    let trainer = try DPQTrainer(model: m, options: o)
    #expect(trainer.networkOptimizer is Adam)
    #expect(o.resolvedWeightDecay == 0)
    #expect(DPQTrainingOptions().resolvedWeightDecay == 5e-4)
  }
}
