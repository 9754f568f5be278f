import DPQTensor
import Testing

@testable import DPQNN

@Suite struct LayerGradientTests {
  @Test func linear() throws {
    var g = RandomGenerator(seed: 1)
    let layer = try Linear(5, 3, generator: &g)
    let r = try moduleGradientError(layer, input: randomTensor([4, 5], seed: 2))
    #expect(r.error < 1e-2, "\(r.where)")
    let noBias = try Linear(5, 3, bias: false, generator: &g)
    let r2 = try moduleGradientError(noBias, input: randomTensor([2, 3, 5], seed: 3))
    #expect(r2.error < 1e-2, "\(r2.where)")
  }

  @Test(arguments: [(1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)])
  func conv2D(stride: Int, padding: Int) throws {
    var g = RandomGenerator(seed: 7)
    let layer = try Conv2D(3, 4, kernelSize: 3, stride: stride, padding: padding, generator: &g)
    let r = try moduleGradientError(layer, input: randomTensor([2, 3, 7, 6], seed: 8), probes: 60)
    #expect(r.error < 1e-2, "\(r.where)")
  }

  @Test func conv2DWithoutBiasAndManyChunks() throws {
    // a tiny chunk budget forces one image per chunk and several workers
    let saved = Conv2D.chunkBudget
    Conv2D.chunkBudget = 1
    defer { Conv2D.chunkBudget = saved }
    var g = RandomGenerator(seed: 9)
    let layer = try Conv2D(2, 3, kernelSize: 5, stride: 2, padding: 2, bias: false, generator: &g)
    let r = try moduleGradientError(layer, input: randomTensor([5, 2, 9, 9], seed: 10), probes: 60)
    #expect(r.error < 1e-2, "\(r.where)")
  }

  @Test func convolutionGradientsDoNotDependOnTheThreadCount() throws {
    var g = RandomGenerator(seed: 23)
    let layer = try Conv2D(3, 4, kernelSize: 3, padding: 1, generator: &g)
    let x = try randomTensor([9, 3, 6, 6], seed: 24)
    let saved = (Parallel.maximum, Conv2D.chunkBudget)
    defer { (Parallel.maximum, Conv2D.chunkBudget) = saved }
    Conv2D.chunkBudget = 1 // one image a chunk: nine chunks over the four gradient slots
    var results: [[[Float]]] = []
    for threads in [1, 2, 3] {
      Parallel.maximum = threads
      layer.zeroGrad()
      let input = x.requiringGrad()
      try layer(input).backward(randomTensor([9, 4, 6, 6], seed: 25))
      results.append([input.grad!.scalars, layer.weight.grad!.scalars, layer.bias!.grad!.scalars])
    }
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
  }

  @Test func linearResultsDoNotDependOnTheThreadCount() throws {
    var g = RandomGenerator(seed: 26)
    let layer = try Linear(256, 96, generator: &g) // large enough to split over workers
    let x = try randomTensor([90, 256], seed: 27)
    let saved = Parallel.maximum
    defer { Parallel.maximum = saved }
    var results: [[[Float]]] = []
    for threads in [1, 2, 3] {
      Parallel.maximum = threads
      layer.zeroGrad()
      let input = x.requiringGrad()
      let y = try layer(input)
      try y.backward(randomTensor([90, 96], seed: 28))
      results.append([y.scalars, input.grad!.scalars, layer.weight.grad!.scalars, layer.bias!.grad!.scalars])
    }
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
    let r = try moduleGradientError(layer, input: x)
    #expect(r.error < 1e-2, "\(r.where)")
  }

  @Test func maxPool() throws {
    // distinct values spaced well apart so the finite difference never swaps the maximum
    var rng = RandomGenerator(seed: 11)
    let perm = rng.permutation(2 * 3 * 6 * 5).map { Float($0) * 0.1 }
    let x = try Tensor(shape: [2, 3, 6, 5], scalars: perm)
    for (k, s, p) in [(2, 2, 0), (3, 2, 1), (3, 1, 0)] {
      let r = try moduleGradientError(
        MaxPool2D(kernelSize: k, stride: s, padding: p), input: x, epsilon: 1e-2, probes: 80)
      #expect(r.error < 1e-2, "\(k) \(s) \(p): \(r.where)")
    }
  }

  @Test func avgPool() throws {
    let x = try randomTensor([2, 3, 6, 5], seed: 12)
    for (k, s, p) in [(2, 2, 0), (3, 2, 1), (3, 1, 0)] {
      let r = try moduleGradientError(AvgPool2D(kernelSize: k, stride: s, padding: p), input: x, probes: 80)
      #expect(r.error < 1e-2, "\(k) \(s) \(p): \(r.where)")
    }
  }

  @Test func batchNormInTrainingAndEvaluation() throws {
    let bn1 = try BatchNorm1D(4)
    bn1.weight!.value = try randomTensor([4], seed: 13)
    bn1.bias!.value = try randomTensor([4], seed: 14)
    let r1 = try moduleGradientError(bn1, input: randomTensor([6, 4], seed: 15, std: 2), epsilon: 3e-3)
    #expect(r1.error < 2e-2, "\(r1.where)")
    let bn2 = try BatchNorm2D(3)
    bn2.weight!.value = try randomTensor([3], seed: 16)
    let r2 = try moduleGradientError(bn2, input: randomTensor([2, 3, 4, 3], seed: 17), epsilon: 3e-3)
    #expect(r2.error < 2e-2, "\(r2.where)")
    bn2.eval()
    let r3 = try moduleGradientError(bn2, input: randomTensor([2, 3, 4, 3], seed: 18), epsilon: 3e-3)
    #expect(r3.error < 2e-2, "\(r3.where)")
    let bn3 = try BatchNorm1D(2, affine: false)
    let r4 = try moduleGradientError(bn3, input: randomTensor([3, 2, 5], seed: 19), epsilon: 3e-3)
    #expect(r4.error < 2e-2, "\(r4.where)")
  }

  @Test func activationsAndFlatten() throws {
    // keep ReLU inputs away from the kink at 0
    let x = try randomTensor([3, 4, 2], seed: 20).scalars.map { $0 >= 0 ? $0 + 0.05 : $0 - 0.05 }
    let input = try Tensor(shape: [3, 4, 2], scalars: x)
    for m: Module in [ReLU(), Tanh(), Sigmoid(), Flatten(), Flatten(startDimension: 2)] {
      let r = try moduleGradientError(m, input: input)
      #expect(r.error < 1e-2, "\(m.typeName): \(r.where)")
    }
    #expect(try Flatten()(input).shape == [3, 8])
    #expect(try Flatten(startDimension: 0)(input).shape == [24])
  }

  @Test func sequentialChainsLayers() throws {
    var g = RandomGenerator(seed: 21)
    let net = Sequential(
      try Conv2D(1, 2, kernelSize: 3, padding: 1, generator: &g), Tanh(),
      try AvgPool2D(kernelSize: 2), Flatten(), try Linear(8, 3, generator: &g))
    let r = try moduleGradientError(net, input: randomTensor([2, 1, 4, 4], seed: 22))
    #expect(r.error < 1e-2, "\(r.where)")
    #expect(net.count == 5)
    #expect(net[1] is Tanh)
  }
}
