import DPQTensor
import Foundation
import Testing

@testable import DPQNN

/// A parameter whose gradient is set to `gradient` by back-propagating `sum(p * gradient)`.
func setGradient(_ p: Parameter, _ gradient: [Float]) throws {
  p.zeroGrad()
  let g = try Tensor(shape: p.shape, scalars: gradient)
  try (p.value * g).backward(Tensor(shape: p.shape, filling: { $0.initialize(repeating: 1) }))
}

@Suite struct OptimizerTests {
  @Test func sgdWithMomentumAndWeightDecayOverThreeSteps() throws {
    let p = Parameter(Tensor([1, -2]))
    let sgd = try SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
    let grads: [[Float]] = [[0.5, 1], [-1, 0.25], [0, 2]]
    // by hand (PyTorch's rule), for the first element:
    // step 1: d = 0.5 + 0.01*1 = 0.51, b = 0.51, p = 1 - 0.051 = 0.949
    // step 2: d = -1 + 0.00949 = -0.99051, b = 0.459 - 0.99051 = -0.53151, p = 0.949 + 0.053151 = 1.002151
    // step 3: d = 0.01002151, b = -0.478359 + 0.01002151 = -0.46833749, p = 1.002151 + 0.046833749 = 1.048984749
    // second element:
    // step 1: d = 1 - 0.02 = 0.98, b = 0.98, p = -2.098
    // step 2: d = 0.25 - 0.02098 = 0.22902, b = 0.882 + 0.22902 = 1.11102, p = -2.209102
    // step 3: d = 2 - 0.02209102 = 1.97790898, b = 0.999918 + 1.97790898 = 2.97782698, p = -2.506884698
    for g in grads {
      try setGradient(p, g)
      try sgd.step()
    }
    #expect(close(p.value.scalars, [1.048984749, -2.506884698], tolerance: 1e-6))
    #expect(p.value.requiresGrad && p.value.op == "leaf")
  }

  @Test func nesterovSGDAndPlainSGD() throws {
    let p = Parameter(Tensor([1]))
    let sgd = try SGD(parameters: [p], learningRate: 0.5, momentum: 0.5, nesterov: true)
    try setGradient(p, [1])
    try sgd.step() // b = 1, d = 1 + 0.5 = 1.5, p = 0.25
    try setGradient(p, [2])
    try sgd.step() // b = 0.5 + 2 = 2.5, d = 2 + 1.25 = 3.25, p = -1.375
    #expect(close(p.value.scalars, [-1.375], tolerance: 1e-6))
    let q = Parameter(Tensor([3]))
    let plain = try SGD(parameters: [q], learningRate: 0.1)
    try setGradient(q, [2])
    try plain.step()
    #expect(close(q.value.scalars, [2.8], tolerance: 1e-6))
    #expect(throws: NNError.self) { try SGD(parameters: [q], learningRate: 0.1, nesterov: true) }
  }

  @Test func adamOverThreeSteps() throws {
    let p = Parameter(Tensor([1, -1]))
    let adam = try Adam(parameters: [p], learningRate: 0.1, weightDecay: 0.1)
    let grads: [[Float]] = [[0.5, -2], [0.1, 1], [-0.3, 0.5]]
    // reference values computed in Double with PyTorch's formula:
    // g += wd p; m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
    var ref: [Double] = [1, -1]
    var m: [Double] = [0, 0]
    var v: [Double] = [0, 0]
    for (t, g) in grads.enumerated() {
      for i in 0..<2 {
        let gi = Double(g[i]) + 0.1 * ref[i]
        m[i] = 0.9 * m[i] + 0.1 * gi
        v[i] = 0.999 * v[i] + 0.001 * gi * gi
        let c1 = 1 - pow(0.9, Double(t + 1))
        let c2 = 1 - pow(0.999, Double(t + 1))
        ref[i] -= 0.1 / c1 * m[i] / (v[i].squareRoot() / c2.squareRoot() + 1e-8)
      }
      try setGradient(p, g)
      try adam.step()
      if t == 0 {
        // by hand: g = [0.6, -2.1] after decay, m = 0.1 g, v = 0.001 g^2, and with both bias
        // corrections the first step is lr * m / sqrt(v) = lr * sign(g)
        #expect(close(p.value.scalars, [0.9, -0.9], tolerance: 1e-6))
      }
    }
    #expect(close(p.value.scalars, ref.map(Float.init), tolerance: 1e-5))
    // the first step of Adam moves each weight by about lr against its (decayed) gradient's sign
    #expect(adam.state(for: p)?.step == 3)
  }

  @Test func groupsHaveTheirOwnRatesAndSchedulesScaleThem() throws {
    let a = Parameter(Tensor([1]))
    let b = Parameter(Tensor([1]))
    let sgd = try SGD(groups: [
      ParameterGroup(parameters: [a], learningRate: 0.1),
      ParameterGroup(parameters: [b], learningRate: 0.01, weightDecay: 1),
    ])
    try setGradient(a, [1])
    try setGradient(b, [1])
    try sgd.step()
    #expect(close(a.value.scalars, [0.9], tolerance: 1e-6))
    #expect(close(b.value.scalars, [0.98], tolerance: 1e-6)) // 1 - 0.01 * (1 + 1)
    // parameters without a gradient are left alone
    a.zeroGrad()
    b.zeroGrad()
    try sgd.step()
    #expect(close(a.value.scalars, [0.9], tolerance: 1e-6))

    let step = try StepSchedule(stepSize: 3, gamma: 0.5)
    step.apply(to: sgd, step: 7) // 2 decays
    #expect(close(sgd.parameterGroups.map(\.learningRate), [0.025, 0.0025], tolerance: 1e-7))
    let exponential = try ExponentialSchedule(gamma: 0.9)
    exponential.apply(to: sgd, step: 2)
    #expect(close(sgd.parameterGroups.map(\.learningRate), [0.081, 0.0081], tolerance: 1e-7))
    let cosine = try CosineSchedule(totalSteps: 10, minimum: 0.001)
    #expect(abs(cosine.learningRate(base: 0.1, step: 0) - 0.1) < 1e-7)
    #expect(abs(cosine.learningRate(base: 0.1, step: 5) - 0.0505) < 1e-7)
    #expect(abs(cosine.learningRate(base: 0.1, step: 10) - 0.001) < 1e-7)
    #expect(abs(cosine.learningRate(base: 0.1, step: 20) - 0.001) < 1e-7)
    // 0.001 + 0.099 * (1 + cos(0.2 pi)) / 2 with cos(0.2 pi) = 0.809017
    #expect(abs(cosine.learningRate(base: 0.1, step: 2) - 0.09054634) < 1e-6)
    sgd.learningRate = 0.3
    #expect(sgd.parameterGroups.map(\.learningRate) == [0.3, 0.3])
  }
}
