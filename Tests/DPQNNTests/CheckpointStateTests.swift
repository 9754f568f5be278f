import DPQTensor
import Foundation
import Testing

@testable import DPQNN

/// Optimizer state dictionaries, gradient clipping and dropout generator state (issue 7).
@Suite struct CheckpointStateTests {
  @Test func gradientClippingScalesToTheMaximumNormByHand() throws {
    let a = Parameter(Tensor([3, 0]))
    let b = Parameter(Tensor([0, 4]))
    try setGradient(a, [3, 0])
    try setGradient(b, [0, 4]) // global norm 5
    let norm = try clipGradientNorm([a, b], maxNorm: 1)
    #expect(abs(norm - 5) < 1e-6)
    #expect(close(a.grad!.scalars, [0.6, 0], tolerance: 1e-5) && close(b.grad!.scalars, [0, 0.8], tolerance: 1e-5))
    // under the limit nothing changes
    let kept = try clipGradientNorm([a, b], maxNorm: 10)
    #expect(abs(kept - 1) < 1e-5 && close(a.grad!.scalars, [0.6, 0], tolerance: 1e-5))
    #expect(throws: NNError.self) { try clipGradientNorm([a], maxNorm: 0) }
    // a NaN gradient is reported, not scaled
    try setGradient(a, [.nan, 1])
    #expect(try clipGradientNorm([a], maxNorm: 1).isNaN)
  }

  @Test(arguments: ["sgd", "adam"])
  func optimizerStateRoundTripContinuesIdentically(kind: String) throws {
    func make(_ p: Parameter) throws -> Optimizer {
      kind == "sgd"
        ? try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        : try Adam(parameters: [p], learningRate: 0.05)
    }
    let grads: [[Float]] = [[0.5, 1], [-1, 0.25], [0, 2], [1, -1]]
    let p = Parameter(Tensor([1, -2]))
    let opt = try make(p)
    for g in grads.prefix(2) {
      try setGradient(p, g)
      try opt.step()
    }
    let saved = opt.stateDict()
    let savedValue = p.value.scalars
    #expect(saved.map(\.0) == (kind == "sgd" ? ["0.step", "0.slot0"] : ["0.step", "0.slot0", "0.slot1"]))
    for g in grads.suffix(2) {
      try setGradient(p, g)
      try opt.step()
    }

    let q = Parameter(try Tensor(shape: [2], scalars: savedValue))
    let other = try make(q)
    try other.loadStateDict(saved)
    #expect(other.state(for: q)?.step == 2)
    for g in grads.suffix(2) {
      try setGradient(q, g)
      try other.step()
    }
    #expect(q.value.scalars == p.value.scalars)
    #expect(throws: NNError.self) { try other.loadStateDict([("5.step", Tensor([1]))]) }
    #expect(throws: NNError.self) { try other.loadStateDict([("0.slot0", Tensor([1, 2, 3]))]) }
  }

  @Test func dropoutGeneratorStateContinuesTheMasks() throws {
    let d = try Dropout(0.5, seed: 3)
    d.train()
    let x = Tensor(shape: [64]) { $0.initialize(repeating: 1) }
    _ = try d(x)
    let state = d.generatorState
    let next = try d(x).scalars
    let e = try Dropout(0.5, seed: 99)
    e.train()
    try e.restoreGenerator(state: state)
    #expect(try e(x).scalars == next)
    #expect(throws: NNError.self) { try e.restoreGenerator(state: [0, 0, 0, 0, 0, 0]) }
  }
}
