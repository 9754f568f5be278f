import DPQTensor

/// Batch normalisation over the channel axis 1, as PyTorch's `nn.BatchNorm1d` / `nn.BatchNorm2d`:
/// batch statistics in training (updating running mean and unbiased variance with `momentum`),
/// running statistics in evaluation, then the affine `weight * xhat + bias`. Forward and backward
/// are fused kernels.
public class BatchNorm: Module {
  public let featureCount: Int
  public let epsilon: Float
  public let momentum: Float
  /// The scale gamma `[featureCount]` (ones at start), nil when not affine.
  public let weight: Parameter?
  /// The shift beta `[featureCount]` (zeros at start), nil when not affine.
  public let bias: Parameter?
  /// `running_mean`, `[featureCount]`.
  public let runningMean: Buffer
  /// `running_var`, `[featureCount]`.
  public let runningVariance: Buffer
  private let layer: String
  private let ranks: [Int]
  private let expected: String

  init(
    layer: String, featureCount: Int, epsilon: Float, momentum: Float, affine: Bool,
    ranks: [Int], expected: String
  ) throws {
    guard featureCount > 0, epsilon > 0, (0...1).contains(momentum) else {
      throw NNError.invalidArgument(
        op: layer,
        reason:
          "needs a positive feature count and epsilon and a momentum in [0, 1] (got \(featureCount), \(epsilon), \(momentum))"
      )
    }
    self.layer = layer
    self.featureCount = featureCount
    self.epsilon = epsilon
    self.momentum = momentum
    self.ranks = ranks
    self.expected = expected
    weight = affine ? Parameter(try Tensor.ones([featureCount]), name: "weight") : nil
    bias = affine ? Parameter(try Tensor.zeros([featureCount]), name: "bias") : nil
    runningMean = Buffer(try Tensor.zeros([featureCount]), name: "running_mean")
    runningVariance = Buffer(try Tensor.ones([featureCount]), name: "running_var")
    super.init()
    if let weight, let bias {
      registerParameter(weight, named: "weight")
      registerParameter(bias, named: "bias")
    }
    registerBuffer(runningMean, named: "running_mean")
    registerBuffer(runningVariance, named: "running_var")
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard ranks.contains(x.rank), x.shape[1] == featureCount else {
      throw NNError.badInput(layer: layer, expected: expected, shape: x.shape)
    }
    let N = x.shape[0]
    let C = featureCount
    let S = x.shape.dropFirst(2).reduce(1, *)
    let M = N * S
    try Tensor.checkShape(x.shape, op: layer) // its output, in the memory left
    if isTraining && M <= 1 {
      throw NNError.badInput(layer: layer, expected: "more than one value per channel in training", shape: x.shape)
    }
    // per-channel mean and 1/sqrt(var + eps): batch statistics in training, running ones in eval
    var mean = [Float](repeating: 0, count: C)
    var invStd = [Float](repeating: 0, count: C)
    withValues(x) { xp in
      if isTraining {
        var variance = [Float](repeating: 0, count: C)
        for c in 0..<C {
          var sum = 0.0
          for n in 0..<N {
            let p = xp + (n * C + c) * S
            for s in 0..<S { sum += Double(p[s]) }
          }
          let mu = sum / Double(M)
          var sq = 0.0
          for n in 0..<N {
            let p = xp + (n * C + c) * S
            for s in 0..<S {
              let d = Double(p[s]) - mu
              sq += d * d
            }
          }
          mean[c] = Float(mu)
          variance[c] = Float(sq / Double(M))
          invStd[c] = Float(1 / (sq / Double(M) + Double(epsilon)).squareRoot())
        }
        let m = momentum
        let unbias = Float(M) / Float(M - 1)
        runningMean.value.withUnsafeMutableBufferPointer { r in for c in 0..<C { r[c] = (1 - m) * r[c] + m * mean[c] } }
        runningVariance.value.withUnsafeMutableBufferPointer { r in
          for c in 0..<C { r[c] = (1 - m) * r[c] + m * variance[c] * unbias }
        }
      } else {
        withValues(runningMean.value) { rm in
          withValues(runningVariance.value) { rv in
            for c in 0..<C {
              mean[c] = rm[c]
              invStd[c] = 1 / (rv[c] + epsilon).squareRoot()
            }
          }
        }
      }
    }
    let gamma = weight?.value
    let beta = bias?.value
    let y = makeTensor(x.shape) { yp in
      withValues(x) { xp in
        withOptionalValues(gamma) { gp in
          withOptionalValues(beta) { bp in
            for n in 0..<N {
              for c in 0..<C {
                let a = invStd[c] * (gp?[c] ?? 1)
                let shift = (bp?[c] ?? 0) - mean[c] * a
                let src = xp + (n * C + c) * S
                let dst = yp + (n * C + c) * S
                for s in 0..<S { dst[s] = src[s] * a + shift }
              }
            }
          }
        }
      }
    }
    let xd = x.detached()
    let gammaD = gamma?.detached()
    let training = isTraining
    let needX = x.requiresGrad
    let needAffine = (gamma?.requiresGrad ?? false) || (beta?.requiresGrad ?? false)
    let inputs = gamma.flatMap { g in beta.map { [x, g, $0] } } ?? [x]
    return Tensor.record(y, op: training ? "batchnorm(train)" : "batchnorm(eval)", rule: "batchnorm", inputs: inputs) {
      g in
      // per-channel sums of g and of g * xhat
      var sumG = [Float](repeating: 0, count: C)
      var sumGX = [Float](repeating: 0, count: C)
      withValues(g) { gp in
        withValues(xd) { xp in
          for c in 0..<C {
            var a = 0.0
            var b = 0.0
            let mu = mean[c]
            let inv = invStd[c]
            for n in 0..<N {
              let gr = gp + (n * C + c) * S
              let xr = xp + (n * C + c) * S
              for s in 0..<S {
                a += Double(gr[s])
                b += Double(gr[s] * (xr[s] - mu) * inv)
              }
            }
            sumG[c] = Float(a)
            sumGX[c] = Float(b)
          }
        }
      }
      var dx: Tensor? = nil
      if needX {
        dx = makeTensor(xd.shape) { dp in
          withValues(g) { gp in
            withValues(xd) { xp in
              withOptionalValues(gammaD) { wp in
                for c in 0..<C {
                  let inv = invStd[c]
                  let scale = inv * (wp?[c] ?? 1)
                  let mu = mean[c]
                  // training: dx = gamma * inv / M * (M g - sum g - xhat * sum(g xhat)); eval: gamma * inv * g
                  let meanG = training ? sumG[c] / Float(M) : 0
                  let meanGX = training ? sumGX[c] / Float(M) : 0
                  for n in 0..<N {
                    let gr = gp + (n * C + c) * S
                    let xr = xp + (n * C + c) * S
                    let d = dp + (n * C + c) * S
                    for s in 0..<S { d[s] = scale * (gr[s] - meanG - (xr[s] - mu) * inv * meanGX) }
                  }
                }
              }
            }
          }
        }
      }
      if gammaD == nil { return [dx] }
      let dGamma = needAffine ? Tensor(sumGX) : nil
      let dBeta = needAffine ? Tensor(sumG) : nil
      return [dx, dGamma, dBeta]
    }
  }
}

/// Batch normalisation of `[N, C]` or `[N, C, L]` input over the batch (and length) axes.
public final class BatchNorm1D: BatchNorm {
  public init(_ featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) throws {
    try super.init(
      layer: "BatchNorm1D", featureCount: featureCount, epsilon: epsilon, momentum: momentum,
      affine: affine, ranks: [2, 3], expected: "an input [N, \(featureCount)] or [N, \(featureCount), L]")
  }
}

/// Batch normalisation of `[N, C, H, W]` input over the batch and spatial axes.
public final class BatchNorm2D: BatchNorm {
  public init(_ featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) throws {
    try super.init(
      layer: "BatchNorm2D", featureCount: featureCount, epsilon: epsilon, momentum: momentum,
      affine: affine, ranks: [4], expected: "an input [N, \(featureCount), H, W]")
  }
}
