import DPQTensor
import Foundation
import Testing

@testable import DPQNN

@Suite struct LossTests {
  @Test func softmaxCrossEntropyValueAndGradient() throws {
    let logits = try Tensor([[1, 2, 3], [0, 0, 0]])
    let loss = try softmaxCrossEntropy(logits: logits, labels: [2, 1])
    let first = -log(exp(3.0) / (exp(1.0) + exp(2.0) + exp(3.0)))
    let second = log(3.0)
    #expect(abs(Double(try loss.item()) - (first + second) / 2) < 1e-6)
    let r = try Tensor.checkGradients(
      of: { try softmaxCrossEntropy(logits: $0[0], labels: [2, 0, 1]) },
      at: [randomTensor([3, 4], seed: 40)], epsilon: 1e-2)
    #expect(r.maxError < 1e-2, "\(r)")
  }

  @Test func labelSmoothingValueAndGradient() throws {
    // Row [1, 2, 3], label 2, s = 0.3: target (0.1, 0.1, 0.8); loss = -sum t log p.
    let logits = try Tensor([[1, 2, 3]])
    let z = exp(1.0) + exp(2.0) + exp(3.0)
    let expected = -(0.1 * log(exp(1.0) / z) + 0.1 * log(exp(2.0) / z) + 0.8 * log(exp(3.0) / z))
    let loss = try softmaxCrossEntropy(logits: logits, labels: [2], labelSmoothing: 0.3)
    #expect(abs(Double(try loss.item()) - expected) < 1e-6)
    #expect(
      try softmaxCrossEntropy(logits: logits, labels: [2], labelSmoothing: 0).item()
        == softmaxCrossEntropy(logits: logits, labels: [2]).item())
    let r = try Tensor.checkGradients(
      of: { try softmaxCrossEntropy(logits: $0[0], labels: [2, 0, 1], labelSmoothing: 0.2) },
      at: [randomTensor([3, 4], seed: 41)], epsilon: 1e-2)
    #expect(r.maxError < 1e-2, "\(r)")
    #expect(throws: NNError.self) { try softmaxCrossEntropy(logits: logits, labels: [2], labelSmoothing: 1.5) }
  }

  @Test func softmaxCrossEntropyIsStableAndValidates() throws {
    let loss = try softmaxCrossEntropy(logits: Tensor([[1000, 0], [-1000, 1000]]), labels: [0, 0])
    #expect(abs(try loss.item() - 1000) < 1e-3)
    #expect(throws: NNError.labelOutOfRange(op: "softmaxCrossEntropy", label: 3, classCount: 2)) {
      try softmaxCrossEntropy(logits: Tensor([[1, 2]]), labels: [3])
    }
    #expect(throws: NNError.self) { try softmaxCrossEntropy(logits: Tensor([[1, 2]]), labels: [0, 1]) }
  }

  @Test func sigmoidCrossEntropyValueAndGradient() throws {
    let x: [Float] = [2, -1, 0, 50, -50, 3]
    let t: [Float] = [1, 0, 1, 0, 0, 0.5]
    let loss = try sigmoidCrossEntropy(
      logits: Tensor(shape: [2, 3], scalars: x), targets: Tensor(shape: [2, 3], scalars: t))
    let expected =
      zip(x, t).map { x, t -> Double in
        // log s and log(1 - s) of s = sigmoid(x), written to stay exact for x = +-50
        let x = Double(x)
        let logS = x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x))
        let logNotS = logS - x
        return -(Double(t) * logS + (1 - Double(t)) * logNotS)
      }.reduce(0, +) / 6
    #expect(abs(Double(try loss.item()) - expected) < 1e-5)
    let targets = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 1, 1, 1])
    let r = try Tensor.checkGradients(
      of: { try sigmoidCrossEntropy(logits: $0[0], targets: $0[1]) },
      at: [randomTensor([3, 2], seed: 41), targets])
    #expect(r.maxError < 1e-2, "\(r)")
  }

  @Test func mseLossValueAndGradient() throws {
    let loss = try mseLoss(Tensor([1, 2, 3]), Tensor([1, 0, 6]))
    #expect(abs(try loss.item() - 13.0 / 3) < 1e-6)
    let r = try Tensor.checkGradients(
      of: { try mseLoss($0[0], $0[1]) },
      at: [randomTensor([2, 3], seed: 42), randomTensor([2, 3], seed: 43)])
    #expect(r.maxError < 1e-2, "\(r)")
    #expect(throws: NNError.self) { try mseLoss(Tensor([1, 2]), Tensor([1, 2, 3])) }
  }

  @Test func accuracyCountsArgmaxHits() throws {
    let logits = try Tensor([[0.1, 0.9, 0], [2, 1, 0], [0, 0, 5], [1, 1, 0]])
    // rows predict 1, 0, 2, 0 (first maximum on ties)
    #expect(try accuracy(logits: logits, labels: [1, 0, 1, 0]) == 0.75)
    #expect(try accuracy(logits: logits, labels: [0, 1, 0, 1]) == 0)
  }
}
