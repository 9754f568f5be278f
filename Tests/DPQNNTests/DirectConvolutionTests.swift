import CKernels
import DPQTensor
import Testing

@testable import DPQNN

/// Whether this CPU runs the direct kernels. Without AVX-512 the tests below check instead that
/// Conv2D never takes that path (and pass having checked it, rather than being skipped).
private func directKernelsAvailable(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
  if dpq_have_avx512() == 1 { return true }
  #expect(
    !Conv2D.usesDirectKernels, "no AVX-512, yet Conv2D would take the direct kernels", sourceLocation: sourceLocation)
  return false
}

/// The direct AVX-512 convolution kernels (CKernels): gradients by central differences, agreement
/// with the im2col + sgemm path, and results that do not depend on the thread count. On CPUs
/// without AVX-512, where Conv2D never takes that path, each test checks that it does not.
@Suite struct DirectConvolutionTests {
  /// Input, weight and bias gradients of the direct path by central differences. The shapes
  /// cover 1, 2 and 4 vectors of 16 output channels and position and patch tails.
  @Test(arguments: [(3, 16, 3, 7, 6), (2, 32, 5, 9, 10), (1, 64, 5, 8, 8), (2, 48, 2, 5, 7)])
  func gradients(channels: Int, outputs: Int, kernel: Int, height: Int, width: Int) throws {
    guard directKernelsAvailable() else { return }
    var g = RandomGenerator(seed: 41)
    let w = try Tensor.randomUniform([outputs, channels, kernel, kernel], low: -0.3, high: 0.3, using: &g)
    let b = try Tensor.randomUniform([outputs], low: -0.3, high: 0.3, using: &g)
    let x = try randomTensor([2, channels, height, width], seed: 42)
    let scratch = ConvolutionScratch()
    let r = try Tensor.checkGradients(
      of: { t in
        try Conv2D.convolve(
          t[0], weight: t[1], bias: t[2], stride: 1, padding: 0, scratch: scratch, directKernels: true)
      }, at: [x, w, b], maxElements: 40)
    #expect(r.maxError < 1e-2, "\(r)")
  }

  /// The direct path and im2col + sgemm agree on the output and every gradient (LeNet's shapes).
  @Test(arguments: [(1, 32, 28), (32, 64, 12)])
  func agreesWithIm2col(channels: Int, outputs: Int, side: Int) throws {
    guard directKernelsAvailable() else { return }
    var g = RandomGenerator(seed: 43)
    let w = try Tensor.randomUniform([outputs, channels, 5, 5], low: -0.2, high: 0.2, using: &g)
    let b = try Tensor.randomUniform([outputs], low: -0.2, high: 0.2, using: &g)
    let x = try randomTensor([3, channels, side, side], seed: 44)
    let gy = try randomTensor([3, outputs, side - 4, side - 4], seed: 45)
    var results: [[[Float]]] = []
    for direct in [true, false] {
      let (xl, wl, bl) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y = try Conv2D.convolve(
        xl, weight: wl, bias: bl, stride: 1, padding: 0, scratch: ConvolutionScratch(),
        directKernels: direct)
      try y.backward(gy)
      results.append([y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars])
    }
    for (d, i) in zip(results[0], results[1]) { #expect(close(d, i, tolerance: 1e-4)) }
  }

  /// Forward values and gradients are bit for bit the same with 1, 2 and 3 workers.
  @Test func resultsDoNotDependOnTheThreadCount() throws {
    guard directKernelsAvailable() else { return }
    var g = RandomGenerator(seed: 46)
    let w = try Tensor.randomUniform([32, 3, 5, 5], low: -0.2, high: 0.2, using: &g)
    let b = try Tensor.randomUniform([32], low: -0.2, high: 0.2, using: &g)
    let x = try randomTensor([7, 3, 11, 9], seed: 47)
    let gy = try randomTensor([7, 32, 7, 5], seed: 48)
    let saved = Parallel.maximum
    defer { Parallel.maximum = saved }
    var results: [[[Float]]] = []
    for threads in [1, 2, 3] {
      Parallel.maximum = threads
      let (xl, wl, bl) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y = try Conv2D.convolve(
        xl, weight: wl, bias: bl, stride: 1, padding: 0, scratch: ConvolutionScratch(),
        directKernels: true)
      try y.backward(gy)
      results.append([y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars])
    }
    #expect(results[0] == results[1])
    #expect(results[0] == results[2])
  }

  /// The fused conv + ReLU + 2 x 2 max pool: gradients by central differences (the input is
  /// spread so the window maxima are well apart) and bit-for-bit agreement with the three layers
  /// on the direct kernels.
  @Test(arguments: [(2, 16, 3, 8, 6), (3, 32, 5, 9, 11)])
  func fusedReLUMaxPool(channels: Int, outputs: Int, kernel: Int, height: Int, width: Int) throws {
    guard directKernelsAvailable() else { return }
    var g = RandomGenerator(seed: 51)
    let w = try Tensor.randomUniform([outputs, channels, kernel, kernel], low: -0.3, high: 0.3, using: &g)
    let b = try Tensor.randomUniform([outputs], low: -0.3, high: 0.3, using: &g)
    let x = try randomTensor([2, channels, height, width], seed: 52)
    let scratch = ConvolutionScratch()
    let r = try Tensor.checkGradients(
      of: { t in
        try Conv2D.convolveReLUMaxPool(t[0], weight: t[1], bias: t[2], scratch: scratch)
      }, at: [x, w, b], epsilon: 1e-3, maxElements: 40)
    #expect(r.maxError < 2e-2, "\(r)")

    let pool = try MaxPool2D(kernelSize: 2)
    let gy = try randomTensor([2, outputs, (height - kernel + 1) / 2, (width - kernel + 1) / 2], seed: 53)
    var results: [[[Float]]] = []
    for fused in [true, false] {
      let (xl, wl, bl) = (x.requiringGrad(), w.requiringGrad(), b.requiringGrad())
      let y =
        fused
        ? try Conv2D.convolveReLUMaxPool(xl, weight: wl, bias: bl, scratch: ConvolutionScratch())
        : try pool(
          Conv2D.convolve(
            xl, weight: wl, bias: bl, stride: 1, padding: 0,
            scratch: ConvolutionScratch(), directKernels: true
          ).relu(nanToZero: true))
      try y.backward(gy)
      results.append([y.scalars, xl.grad!.scalars, wl.grad!.scalars, bl.grad!.scalars])
    }
    #expect(results[0] == results[1])
  }

  /// A Sequential with `Conv2D, ReLU, MaxPool2D` in a row takes the fused op, and the layers
  /// still report their output shapes.
  @Test func sequentialFusesTheTriple() throws {
    guard directKernelsAvailable() else { return }
    var g = RandomGenerator(seed: 54)
    let net = Sequential(try Conv2D(1, 16, kernelSize: 5, generator: &g), ReLU(), try MaxPool2D(kernelSize: 2))
    let y = try net(randomTensor([2, 1, 12, 12], seed: 55).requiringGrad())
    #expect(y.op == "conv2d_relu_maxpool")
    #expect(net[0].lastOutputShape == [2, 16, 8, 8])
    #expect(net[2].lastOutputShape == [2, 16, 4, 4])
  }
}
