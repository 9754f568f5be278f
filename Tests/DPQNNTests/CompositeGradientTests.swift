import DPQTensor
import Testing

@testable import DPQNN

/// The losses and layers of DPQNN that are composites of DPQTensor's primitives (GradientTable),
/// and the gradient tests of the fused kernels that had none.
@Suite struct CompositeGradientTests {
  @Test func lossesAreMadeOfPrimitives() throws {
    let x = try randomTensor([3, 4], seed: 1).requiringGrad()
    let t = try Tensor(shape: [3, 4], scalars: (0..<12).map { Float($0 % 2) })
    let losses: [(String, Tensor)] = [
      ("mseLoss", try mseLoss(x, randomTensor([3, 4], seed: 2))),
      ("sigmoidCrossEntropy", try sigmoidCrossEntropy(logits: x, targets: t)),
    ]
    for (name, y) in losses {
      #expect(y.op == name)
      let rules = GradientTable.rules(below: y)
      #expect(rules.allSatisfy { $0 == "leaf" || GradientTable.primitives.contains($0) }, "\(name): \(rules)")
    }
  }

  @Test func sigmoidCrossEntropyGradientAtZeroIsSigmoidMinusTarget() throws {
    let x = Tensor([0, 0, 30, -30]).requiringGrad()
    let t = Tensor([1, 0, 0, 1])
    try sigmoidCrossEntropy(logits: x, targets: t).backward()
    // (sigmoid(x) - t) / n
    let expected: [Float] = [-0.125, 0.125, 0.25, -0.25]
    let grad = x.grad?.scalars ?? []
    #expect(close(grad, expected, tolerance: 1e-6))
  }

  @Test func dropoutIsTheProductWithItsMask() throws {
    let d = try Dropout(0.5, seed: 3)
    let state = d.generatorState
    let x = try randomTensor([4, 6], seed: 4)
    let y = try d(x.requiringGrad())
    #expect(y.op == "dropout")
    #expect(GradientTable.rules(below: y).allSatisfy { $0 == "leaf" || GradientTable.primitives.contains($0) })
    // the same mask for every evaluation: central differences of x -> dropout(x)
    let r = try Tensor.checkGradients(
      of: { xs in
        try d.restoreGenerator(state: state)
        return try d(xs[0])
      }, at: [x])
    #expect(r.maxError < 1e-2, "\(r)")
  }

  @Test func averagePoolingIsMadeOfPrimitives() throws {
    let x = try randomTensor([2, 3, 7, 5], seed: 8).requiringGrad()
    for m: Module in [
      try AvgPool2D(kernelSize: 3, stride: 2, padding: 1), try AvgPool2D(kernelSize: 1),
      try AdaptiveAvgPool2D(outputHeight: 3, outputWidth: 2), try AdaptiveAvgPool2D(outputSize: 1),
    ] {
      let y = try m(x)
      #expect(y.op == (m is AvgPool2D ? "avgpool2d" : "adaptive_avgpool2d"))
      let rules = GradientTable.rules(below: y)
      #expect(rules.allSatisfy { $0 == "leaf" || GradientTable.primitives.contains($0) }, "\(m.typeName): \(rules)")
    }
    // the windows and the zero padding PyTorch counts, by hand: 3x3 windows, stride 2, padding 1
    let v = try Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
    let y = try AvgPool2D(kernelSize: 3, stride: 2, padding: 1)(v)
    let windows: [Float] = [12, 16, 24, 28]
    #expect(close(y.scalars, windows.map { $0 / 9 }, tolerance: 1e-6))
    let a = try AdaptiveAvgPool2D(outputHeight: 2, outputWidth: 2)(v)
    let cells: [Float] = [3, 4, 6, 7]
    #expect(close(a.scalars, cells, tolerance: 1e-6))
  }

  @Test func adaptiveAveragePoolGradients() throws {
    let x = try randomTensor([2, 3, 7, 5], seed: 5)
    for (h, w) in [(1, 1), (3, 2), (7, 5), (4, 3)] {
      let r = try moduleGradientError(AdaptiveAvgPool2D(outputHeight: h, outputWidth: w), input: x, probes: 80)
      #expect(r.error < 1e-2, "\(h)x\(w): \(r.where)")
    }
  }

  @Test func fusedKernelsOfThisModuleAreListed() throws {
    var g = RandomGenerator(seed: 6)
    let net = Sequential([
      try Conv2D(1, 4, kernelSize: 3, generator: &g), try BatchNorm2D(4), ReLU(), try MaxPool2D(kernelSize: 2),
      try AvgPool2D(kernelSize: 1), try AdaptiveAvgPool2D(outputSize: 2), Flatten(), try Linear(16, 3, generator: &g),
    ])
    let y = try net(randomTensor([2, 1, 10, 10], seed: 7).requiringGrad())
    let loss = try softmaxCrossEntropy(logits: y, labels: [0, 2])
    let rules = GradientTable.rules(below: loss)
    for r in rules { #expect(GradientTable.isListed(r), "\(r) is neither a primitive nor a fused kernel") }
    for k in ["conv2d", "batchnorm", "maxpool2d", "linear", "softmaxCrossEntropy"] {
      #expect(rules.contains(k), "\(k) not in \(rules)")
    }
    // average pooling is a composite now
    #expect(!rules.contains("avgpool2d") && !rules.contains("adaptive_avgpool2d"))
  }
}
