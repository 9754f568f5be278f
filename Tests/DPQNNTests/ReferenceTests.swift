import DPQTensor
import Testing

@testable import DPQNN

/// Layers against naive loops written straight from the definitions.
@Suite struct ReferenceTests {
  /// The 7-loop convolution: batch, out channel, output row, output column, in channel, kernel row, kernel column.
  func naiveConvolution(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, padding p: Int) throws -> [Float] {
    let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let (O, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
    let OH = (H + 2 * p - kh) / s + 1
    let OW = (W + 2 * p - kw) / s + 1
    var out = [Float](repeating: 0, count: N * O * OH * OW)
    for n in 0..<N {
      for o in 0..<O {
        for oy in 0..<OH {
          for ox in 0..<OW {
            var sum = try b?.value(at: [o]) ?? 0
            for c in 0..<C {
              for i in 0..<kh {
                for j in 0..<kw {
                  let iy = oy * s - p + i
                  let ix = ox * s - p + j
                  if iy >= 0 && iy < H && ix >= 0 && ix < W {
                    sum += try x.value(at: [n, c, iy, ix]) * w.value(at: [o, c, i, j])
                  }
                }
              }
            }
            out[((n * O + o) * OH + oy) * OW + ox] = sum
          }
        }
      }
    }
    return out
  }

  @Test(arguments: [(1, 0, 5), (1, 1, 3), (1, 2, 5), (2, 0, 3), (2, 1, 5), (2, 2, 3), (3, 1, 2)])
  func convolutionMatchesNaiveLoops(stride: Int, padding: Int, kernel: Int) throws {
    var g = RandomGenerator(seed: 30)
    let layer = try Conv2D(3, 5, kernelSize: kernel, stride: stride, padding: padding, generator: &g)
    let x = try randomTensor([4, 3, 9, 8], seed: 31)
    let y = try layer(x)
    let expected = try naiveConvolution(x, layer.weight.value, layer.bias?.value, stride: stride, padding: padding)
    #expect(y.shape == [4, 5, (9 + 2 * padding - kernel) / stride + 1, (8 + 2 * padding - kernel) / stride + 1])
    #expect(close(y.scalars, expected, tolerance: 1e-4))
  }

  @Test func convolutionAcrossChunksAndWorkers() throws {
    var g = RandomGenerator(seed: 32)
    let layer = try Conv2D(2, 3, kernelSize: 3, padding: 1, bias: false, generator: &g)
    let x = try randomTensor([7, 2, 5, 5], seed: 33)
    let whole = try layer(x).scalars
    let saved = Conv2D.chunkBudget
    Conv2D.chunkBudget = 1
    defer { Conv2D.chunkBudget = saved }
    #expect(close(try layer(x).scalars, whole, tolerance: 1e-5))
    #expect(close(whole, try naiveConvolution(x, layer.weight.value, nil, stride: 1, padding: 1)))
  }

  @Test func convolutionRejectsBadInput() throws {
    let layer = try Conv2D(3, 4, kernelSize: 5)
    #expect(throws: NNError.badInput(layer: "Conv2D", expected: "an input [N, 3, H, W]", shape: [2, 2, 8, 8])) {
      try layer(Tensor.zeros([2, 2, 8, 8]))
    }
    #expect(throws: NNError.self) { try layer(Tensor.zeros([2, 3, 4, 8])) }
    #expect(throws: NNError.self) { try Conv2D(0, 4, kernelSize: 3) }
  }

  func naivePool(_ x: Tensor, kernel k: Int, stride s: Int, padding p: Int, max isMax: Bool) throws -> [Float] {
    let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let OH = (H + 2 * p - k) / s + 1
    let OW = (W + 2 * p - k) / s + 1
    var out: [Float] = []
    for n in 0..<N {
      for c in 0..<C {
        for oy in 0..<OH {
          for ox in 0..<OW {
            var best = -Float.infinity
            var sum: Float = 0
            for i in 0..<k {
              for j in 0..<k {
                let iy = oy * s - p + i
                let ix = ox * s - p + j
                guard iy >= 0 && iy < H && ix >= 0 && ix < W else { continue }
                let v = try x.value(at: [n, c, iy, ix])
                best = max(best, v)
                sum += v
              }
            }
            out.append(isMax ? best : sum / Float(k * k))
          }
        }
      }
    }
    return out
  }

  @Test(arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0), (3, 3, 0)])
  func poolsMatchNaiveLoops(kernel: Int, stride: Int, padding: Int) throws {
    let x = try randomTensor([2, 3, 7, 6], seed: 34)
    let maxPool = try MaxPool2D(kernelSize: kernel, stride: stride, padding: padding)
    let avgPool = try AvgPool2D(kernelSize: kernel, stride: stride, padding: padding)
    #expect(try maxPool(x).scalars == naivePool(x, kernel: kernel, stride: stride, padding: padding, max: true))
    #expect(
      close(
        try avgPool(x).scalars, try naivePool(x, kernel: kernel, stride: stride, padding: padding, max: false),
        tolerance: 1e-6))
  }

  @Test func maxPoolGradientGoesToTheMaximum() throws {
    let x = try Tensor(shape: [1, 1, 2, 4], scalars: [1, 5, 2, 0, 3, 4, 8, 7]).requiringGrad()
    let y = try MaxPool2D(kernelSize: 2)(x)
    #expect(y.scalars == [5, 8])
    try y.backward(Tensor(shape: [1, 1, 1, 2], scalars: [10, 20]))
    #expect(x.grad?.scalars == [0, 10, 0, 0, 0, 0, 20, 0])
  }

  @Test func parallelPassesMatchSerialOnes() throws {
    // large enough for ReLU and pooling to split over workers
    let x = try randomTensor([64, 16, 24, 24], seed: 36)
    func run() throws -> [[Float]] {
      let input = x.requiringGrad()
      let y = try MaxPool2D(kernelSize: 2)(ReLU()(input))
      try y.backward(randomTensor(y.shape, seed: 37))
      return [y.scalars, input.grad!.scalars]
    }
    let saved = Parallel.maximum
    defer { Parallel.maximum = saved }
    Parallel.maximum = 2
    let parallel = try run()
    Parallel.maximum = 1
    #expect(try run() == parallel)
  }

  @Test func maxPoolPropagatesNaNAsPyTorch() throws {
    var values = (0..<32).map(Float.init)
    values[9] = .nan // row 1, column 1: inside the first window
    let x = try Tensor(shape: [1, 1, 4, 8], scalars: values)
    let y = try MaxPool2D(kernelSize: 2)(x).scalars
    #expect(y[0].isNaN)
    #expect(y[1...].allSatisfy { !$0.isNaN })
    #expect(Array(y[1...]) == [11, 13, 15, 25, 27, 29, 31])
  }

  @Test func linearMatchesDefinition() throws {
    var g = RandomGenerator(seed: 35)
    let layer = try Linear(3, 2, generator: &g)
    let x = try Tensor([[1, 2, 3], [-1, 0, 4]])
    let w = layer.weight.value.scalars
    let b = layer.bias!.value.scalars
    var expected: [Float] = []
    for r in 0..<2 {
      for o in 0..<2 {
        expected.append(b[o] + (0..<3).reduce(Float(0)) { $0 + w[o * 3 + $1] * (try! x.value(at: [r, $1])) })
      }
    }
    #expect(close(try layer(x).scalars, expected, tolerance: 1e-6))
    // PyTorch's default init: uniform in +-1/sqrt(in)
    #expect(w.allSatisfy { abs($0) <= 1 / Float(3).squareRoot() })
  }

  @Test func batchNormNormalisesAndTracksRunningStatistics() throws {
    let bn = try BatchNorm1D(2)
    let x = try Tensor([[1, 10], [3, 20], [5, 30]])
    let y = try bn(x)
    // column 0: mean 3, biased variance 8/3; column 1: mean 20, variance 200/3
    let inv0 = 1 / (Float(8) / 3 + 1e-5).squareRoot()
    let inv1 = 1 / (Float(200) / 3 + 1e-5).squareRoot()
    #expect(close(y.scalars, [-2 * inv0, -10 * inv1, 0, 0, 2 * inv0, 10 * inv1], tolerance: 1e-5))
    // running: 0.9 * 0 + 0.1 * mean; 0.9 * 1 + 0.1 * unbiased variance (4 and 100)
    #expect(close(bn.runningMean.value.scalars, [0.3, 2], tolerance: 1e-6))
    #expect(close(bn.runningVariance.value.scalars, [1.3, 10.9], tolerance: 1e-6))
    bn.eval()
    let z = try bn(x)
    let r0: Float = 1 / (1.3 + 1e-5 as Float).squareRoot()
    let r1: Float = 1 / (10.9 + 1e-5 as Float).squareRoot()
    let evalExpected: [Float] = [0.7 * r0, 8 * r1, 2.7 * r0, 18 * r1, 4.7 * r0, 28 * r1]
    #expect(close(z.scalars, evalExpected, tolerance: 1e-5))
    #expect(close(bn.runningMean.value.scalars, [0.3, 2], tolerance: 1e-6))
  }
}
