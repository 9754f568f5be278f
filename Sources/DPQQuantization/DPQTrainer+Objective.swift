import DPQNN
import DPQTensor

extension DPQTrainer {
  /// The terms of one training step's objective, and what the log needs from its forward pass.
  struct StepObjective {
    /// Features x [B, D] and classifier logits of x.
    let features: Tensor
    let logits: Tensor
    /// L_cls(x).
    let classification: Tensor
    /// L_soft, L_hard, L_joint (stage 2 only).
    let terms: ProgressiveQuantization.Losses?
    /// sum_m L_cls(Xs_m), when its weight is positive (stage 2 only).
    let prefixClassification: Tensor?
    /// (rho / lambda) sum_m of the ranking of Xh_m, when rho is positive (stage 2 only).
    var ranking: Tensor? = nil
    /// The quantization the losses were computed on (stage 2 only).
    let quantization: ProgressiveQuantization.Output?
    /// The objective divided by lambda.
    let total: Tensor
  }

  /// The objective of one batch (PAPER.md):
  /// `L = lambda * L_cls(x) + lambda_q * sum_m L_cls(Xs_m) + tau * (L_soft + mu L_hard + nu L_joint)`,
  /// divided by lambda so that the network learning rate means the same in both stages (the
  /// classification gradient keeps unit weight; Adam on the codebooks is invariant to the scale).
  /// Stage 1 is L_cls(x) alone and runs no quantization. Each group of terms reaches the network
  /// through x or not as the options say; where the two groups differ, the blocks run twice
  /// (once on x, once on x detached) so each term sees the x it is meant to.
  func objective(batch: Tensor, stage: Int, labels: [Int], multiHot: Tensor?) throws -> StepObjective {
    let c = model.configuration
    let x = try model.network.features(batch)
    let logits = try model.network.logits(features: x)
    func classificationLoss(_ logits: Tensor) throws -> Tensor {
      if c.multiLabel, let targets = multiHot { return try sigmoidCrossEntropy(logits: logits, targets: targets) }
      return try softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: options.labelSmoothing)
    }
    let cls = try OpProfiler.measure("classification loss forward") { try classificationLoss(logits) }
    guard stage == 2 else {
      return StepObjective(
        features: x, logits: logits, classification: cls, terms: nil, prefixClassification: nil,
        quantization: nil, total: cls)
    }
    let books = model.codebooks.map(\.value)
    func quantized(reachingNetwork: Bool) throws -> (input: Tensor, output: ProgressiveQuantization.Output) {
      let input = reachingNetwork ? x : x.detached()
      return (
        input,
        try OpProfiler.measure("quantization blocks forward") {
          try ProgressiveQuantization.forward(input, codebooks: books, similarity: c.similarity, gamma: c.gamma)
        }
      )
    }
    let forLosses = try quantized(reachingNetwork: options.quantizationReachesNetwork)
    let l = try OpProfiler.measure("quantization losses forward") {
      try ProgressiveQuantization.losses(features: forLosses.input, forLosses.output)
    }
    var total = try cls + (l.soft + l.hard * c.mu + l.joint * c.nu) * (c.tau / c.lambda)
    if c.classifyReconstruction, let xh = forLosses.output.hardReconstructions.last {
      total = try total + classificationLoss(model.network.logits(features: xh))
    }
    var prefix: Tensor? = nil
    let lambdaQ = options.prefixClassificationWeight
    if lambdaQ > 0 {
      let forPrefixes =
        options.prefixClassificationReachesNetwork == options.quantizationReachesNetwork
        ? forLosses : try quantized(reachingNetwork: options.prefixClassificationReachesNetwork)
      var sum = Tensor(scalar: 0)
      for xs in forPrefixes.output.softReconstructions {
        sum = try sum + classificationLoss(model.network.logits(features: xs))
      }
      prefix = sum
      total = try total + sum * (lambdaQ / c.lambda)
    }
    var rankingTerm: Tensor?
    if options.rankingWeight > 0 {
      let ranking = try PrefixRanking(labels: labels, multiHot: c.multiLabel ? multiHot : nil, count: x.shape[0])
      let queries =
        try ProgressiveQuantization.normalisedRows(options.rankingReachesNetwork ? x : x.detached())
        * options.rankingScale
      var sum = Tensor(scalar: 0)
      for xh in forLosses.output.hardReconstructions { sum = try sum + ranking.loss(queries: queries, database: xh) }
      let term = try sum * (options.rankingWeight / c.lambda)
      rankingTerm = term
      total = try total + term
    }
    return StepObjective(
      features: x, logits: logits, classification: cls, terms: l, prefixClassification: prefix,
      ranking: rankingTerm, quantization: forLosses.output, total: total)
  }
}

/// The ranking term of one batch: every item queries the others, and the loss is minus the log of
/// the softmax mass its scores put on the items that share a label with it (NCA's objective,
/// with many positives), averaged over the items that have any.
struct PrefixRanking {
  /// 0 where j is relevant to query i (j != i), a large negative number elsewhere [B, B].
  let relevantMask: Tensor
  /// 0 where j != i, a large negative number on the diagonal [B, B].
  let othersMask: Tensor
  /// 1 / (queries with a relevant item) for those queries, 0 for the rest [B].
  let queryWeights: Tensor

  init(labels: [Int], multiHot: Tensor?, count n: Int) throws {
    let excluded: Float = -1e9
    var relevant = [Float](repeating: excluded, count: n * n)
    var others = [Float](repeating: 0, count: n * n)
    var hasRelevant = [Bool](repeating: false, count: n)
    let rows = multiHot.map { $0.scalars }
    let width = multiHot?.shape[1] ?? 0
    for i in 0..<n {
      others[i * n + i] = excluded
      for j in 0..<n where j != i {
        let shares: Bool
        if let rows {
          shares = (0..<width).contains { rows[i * width + $0] > 0 && rows[j * width + $0] > 0 }
        } else {
          shares = labels[i] == labels[j]
        }
        if shares {
          relevant[i * n + j] = 0
          hasRelevant[i] = true
        }
      }
    }
    let counted = hasRelevant.filter { $0 }.count
    relevantMask = try Tensor(shape: [n, n], scalars: relevant)
    othersMask = try Tensor(shape: [n, n], scalars: others)
    queryWeights = Tensor(hasRelevant.map { $0 && counted > 0 ? 1 / Float(counted) : 0 })
  }

  /// sum_i w_i (logsumexp_{j != i} S_ij - logsumexp_{j relevant} S_ij), S = queries database^T.
  func loss(queries: Tensor, database: Tensor) throws -> Tensor {
    let scores = try Tensor.matmul(queries, database, transposeB: true)
    let all = try (scores + othersMask).logsumexp(axes: [1])
    let relevant = try (scores + relevantMask).logsumexp(axes: [1])
    return try ((all - relevant) * queryWeights).sum()
  }
}
