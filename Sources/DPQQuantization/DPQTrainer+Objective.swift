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
    let cls = try classificationLoss(logits)
    guard stage == 2 else {
      return StepObjective(features: x, logits: logits, classification: cls, terms: nil, prefixClassification: nil,
                           quantization: nil, total: cls)
    }
    let books = model.codebooks.map(\.value)
    func quantized(reachingNetwork: Bool) throws -> (input: Tensor, output: ProgressiveQuantization.Output) {
      let input = reachingNetwork ? x : x.detached()
      return (input, try ProgressiveQuantization.forward(input, codebooks: books, similarity: c.similarity, gamma: c.gamma))
    }
    let forLosses = try quantized(reachingNetwork: options.quantizationReachesNetwork)
    let l = try ProgressiveQuantization.losses(features: forLosses.input, forLosses.output)
    var total = try cls + (l.soft + l.hard * c.mu + l.joint * c.nu) * (c.tau / c.lambda)
    if c.classifyReconstruction, let xh = forLosses.output.hardReconstructions.last {
      total = try total + classificationLoss(model.network.logits(features: xh))
    }
    var prefix: Tensor? = nil
    let lambdaQ = options.prefixClassificationWeight
    if lambdaQ > 0 {
      let forPrefixes = options.prefixClassificationReachesNetwork == options.quantizationReachesNetwork
        ? forLosses : try quantized(reachingNetwork: options.prefixClassificationReachesNetwork)
      var sum = Tensor(scalar: 0)
      for xs in forPrefixes.output.softReconstructions {
        sum = try sum + classificationLoss(model.network.logits(features: xs))
      }
      prefix = sum
      total = try total + sum * (lambdaQ / c.lambda)
    }
    return StepObjective(features: x, logits: logits, classification: cls, terms: l, prefixClassification: prefix,
                         quantization: forLosses.output, total: total)
  }
}
