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
/// averaged over all elements.
public func sigmoidCrossEntropy(logits: Tensor, targets: Tensor) throws -> Tensor {
  let op = "sigmoidCrossEntropy"
  guard logits.shape == targets.shape, logits.count > 0 else {
    throw NNError.badInput(
      layer: op, expected: "logits of the targets' shape \(shapeText(targets.shape))", shape: logits.shape)
  }
  let n = logits.count
  var total = 0.0
  withValues(logits) { xp in
    withValues(targets) { tp in
      for i in 0..<n {
        let x = xp[i]
        total += Double(max(x, 0) - x * tp[i] + Foundation.log1p(Foundation.exp(-abs(x))))
      }
    }
  }
  let loss = Tensor(scalar: Float(total / Double(n)))
  let xd = logits.detached()
  let td = targets.detached()
  let needX = logits.requiresGrad
  let needT = targets.requiresGrad
  return Tensor.record(loss, op: op, inputs: [logits, targets]) { g in
    let scale = (try g.item()) / Float(n)
    return withValues(xd) { xp in
      withValues(td) { tp in
        [
          needX
            ? makeTensor(xd.shape) { d in for i in 0..<n { d[i] = (Activation.logistic(xp[i]) - tp[i]) * scale } }
            : nil,
          needT ? makeTensor(td.shape) { d in for i in 0..<n { d[i] = -xp[i] * scale } } : nil,
        ]
      }
    }
  }
}

/// Mean squared error `mean((prediction - target)^2)` over all elements, as PyTorch's `mse_loss`.
public func mseLoss(_ prediction: Tensor, _ target: Tensor) throws -> Tensor {
  let op = "mseLoss"
  guard prediction.shape == target.shape, prediction.count > 0 else {
    throw NNError.badInput(
      layer: op, expected: "a prediction of the target's shape \(shapeText(target.shape))", shape: prediction.shape)
  }
  let n = prediction.count
  var total = 0.0
  let difference = makeTensor(prediction.shape) { d in
    withValues(prediction) { a in
      withValues(target) { b in
        for i in 0..<n {
          d[i] = a[i] - b[i]
          total += Double(d[i] * d[i])
        }
      }
    }
  }
  let loss = Tensor(scalar: Float(total / Double(n)))
  let needA = prediction.requiresGrad
  let needB = target.requiresGrad
  return Tensor.record(loss, op: op, inputs: [prediction, target]) { g in
    let scale = 2 * (try g.item()) / Float(n)
    return withValues(difference) { d in
      [
        needA ? makeTensor(difference.shape) { o in for i in 0..<n { o[i] = d[i] * scale } } : nil,
        needB ? makeTensor(difference.shape) { o in for i in 0..<n { o[i] = -d[i] * scale } } : nil,
      ]
    }
  }
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
