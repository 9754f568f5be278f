import DPQTensor
import Foundation

/// Mean softmax cross-entropy of `logits [N, C]` against class `labels` (N of them, in `0..<C`),
/// as PyTorch's `F.cross_entropy(..., label_smoothing:)`: the target is `(1 - s) onehot + s / C`.
/// Computed stably through log-sum-exp, with a fused gradient `(softmax - target) / N`.
public func softmaxCrossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0) throws -> Tensor {
  let op = "softmaxCrossEntropy"
  guard logits.rank == 2, logits.shape[0] == labels.count, logits.shape[0] > 0 else {
    throw NNError.badInput(
      layer: op, expected: "logits [\(labels.count), classes] (one row per label)", shape: logits.shape)
  }
  let N = logits.shape[0]
  let C = logits.shape[1]
  if let bad = labels.first(where: { $0 < 0 || $0 >= C }) {
    throw NNError.labelOutOfRange(op: op, label: bad, classCount: C)
  }
  guard labelSmoothing >= 0 && labelSmoothing <= 1 else {
    throw NNError.invalidArgument(op: op, reason: "label smoothing must be in [0, 1], got \(labelSmoothing)")
  }
  let hit = 1 - labelSmoothing
  let spread = labelSmoothing / Float(C)
  // probabilities are kept for the backward pass
  var total = 0.0
  let probabilities = makeTensor([N, C]) { pr in
    withValues(logits) { xp in
      for r in 0..<N {
        let row = xp + r * C
        let out = pr + r * C
        var m = -Float.infinity
        for c in 0..<C { m = max(m, row[c]) }
        var sum: Float = 0
        for c in 0..<C {
          let e = Foundation.exp(row[c] - m)
          out[c] = e
          sum += e
        }
        let inv = 1 / sum
        for c in 0..<C { out[c] *= inv }
        // -sum_c t_c log p_c = logsumexp - sum_c t_c x_c, with sum_c t_c = 1
        var targetDot = hit * row[labels[r]]
        if spread > 0 { for c in 0..<C { targetDot += spread * row[c] } }
        total += Double(Foundation.log(sum) + m - targetDot)
      }
    }
  }
  let loss = Tensor(scalar: Float(total / Double(N)))
  return Tensor.record(loss, op: "softmaxCrossEntropy", inputs: [logits]) { g in
    let scale = (try g.item()) / Float(N)
    return [
      makeTensor([N, C]) { d in
        withValues(probabilities) { pr in
          for i in 0..<N * C { d[i] = (pr[i] - spread) * scale }
          for r in 0..<N { d[r * C + labels[r]] -= hit * scale }
        }
      }
    ]
  }
}

/// Mean binary cross-entropy of `logits` against `targets` in [0, 1] of the same shape
/// (multi-hot labels), as PyTorch's `BCEWithLogitsLoss`: `max(x, 0) - x t + log(1 + e^-|x|)`,
/// averaged over all elements. A composite of primitives, with `-|x|` written `x - 2 relu(x)` so
/// that the gradient at 0 is `sigmoid(0) - t`.
public func sigmoidCrossEntropy(logits: Tensor, targets: Tensor) throws -> Tensor {
  let op = "sigmoidCrossEntropy"
  guard logits.shape == targets.shape, logits.count > 0 else {
    throw NNError.badInput(
      layer: op, expected: "logits of the targets' shape \(shapeText(targets.shape))", shape: logits.shape)
  }
  let positive = logits.relu()
  let softplus = try ((logits - positive * 2).exp() + 1).log()
  return try (positive - logits * targets + softplus).mean().labelled(op, inputs: [logits, targets])
}

/// Mean squared error `mean((prediction - target)^2)` over all elements, as PyTorch's `mse_loss`:
/// a composite of primitives.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
  let op = "mseLoss"
  guard prediction.shape == target.shape, prediction.count > 0 else {
    throw NNError.badInput(
      layer: op, expected: "a prediction of the target's shape \(shapeText(target.shape))", shape: prediction.shape)
  }
  return try (prediction - target).square().mean().labelled(op, inputs: [prediction, target])
}

/// The fraction of rows of `logits [N, C]` whose largest entry (the first, on ties) is the label.
public func accuracy(logits: Tensor, labels: [Int]) throws -> Float {
  guard logits.rank == 2, logits.shape[0] == labels.count else {
    throw NNError.badInput(
      layer: "accuracy", expected: "logits [\(labels.count), classes] (one row per label)", shape: logits.shape)
  }
  let N = logits.shape[0]
  let C = logits.shape[1]
  guard N > 0, C > 0 else { return 0 }
  return withValues(logits) { xp in
    var correct = 0
    for r in 0..<N {
      let row = xp + r * C
      var best = 0
      for c in 1..<max(C, 1) where row[c] > row[best] { best = c }
      if best == labels[r] { correct += 1 }
    }
    return Float(correct) / Float(N)
  }
}
