import DPQTensor
import Foundation

/// Settings for `TSNE.embed`.
public struct TSNEOptions: Equatable, Sendable {
  /// The effective number of neighbours each point attends to (typically 5...50).
  public var perplexity: Double
  public var iterations: Int
  /// Step size; nil uses max(200, n / 12) (Belkina et al. 2019).
  public var learningRate: Double?
  /// Factor on the input affinities during the first `exaggerationIterations` steps, which lets
  /// clusters form before they settle.
  public var earlyExaggeration: Double
  public var exaggerationIterations: Int
  public var seed: UInt64
  /// Inputs with more dimensions are first reduced to this many by PCA (0: never).
  public var pcaDimension: Int

  public init(perplexity: Double = 30, iterations: Int = 1000, learningRate: Double? = nil,
              earlyExaggeration: Double = 12, exaggerationIterations: Int = 250, seed: UInt64 = 0,
              pcaDimension: Int = 50) {
    self.perplexity = perplexity
    self.iterations = iterations
    self.learningRate = learningRate
    self.earlyExaggeration = earlyExaggeration
    self.exaggerationIterations = exaggerationIterations
    self.seed = seed
    self.pcaDimension = pcaDimension
  }
}

/// Exact t-SNE (van der Maaten and Hinton 2008): a 2-D embedding whose Student-t neighbourhoods
/// match the Gaussian neighbourhoods of the data, each point's Gaussian width found by binary
/// search for the requested perplexity. O(n^2) time and memory per iteration, meant for up to a
/// few thousand points (the paper's Figure 1 style plots).
public enum TSNE {
  /// Largest number of points `embed` accepts (two n x n Float matrices: 200 MB at 5,000).
  public static let maxPoints = 5000

  /// Embeds the rows of `x` ([n, D]) in two dimensions; returns [n, 2]. Deterministic for a seed.
  public static func embed(_ x: Tensor, options: TSNEOptions = TSNEOptions()) throws -> Tensor {
    let function = "TSNE.embed"
    guard x.rank == 2 else { throw PlotError.invalidArgument(function: function, reason: "expected [n, D] data, got shape \(x.shape)") }
    let n = x.shape[0]
    guard n >= 4 else { throw PlotError.invalidArgument(function: function, reason: "need at least 4 points, got \(n)") }
    guard n <= maxPoints else {
      throw PlotError.invalidArgument(function: function, reason: "\(n) points is more than exact t-SNE handles (\(maxPoints)); subsample first")
    }
    guard options.perplexity > 1, options.iterations >= 1, options.earlyExaggeration >= 1 else {
      throw PlotError.invalidArgument(function: function, reason: "perplexity must exceed 1, iterations and exaggeration be at least 1")
    }
    if x.withUnsafeBufferPointer({ $0.contains { !$0.isFinite } }) {
      throw PlotError.invalidArgument(function: function, reason: "the data contain NaN or infinite values")
    }
    var input = x
    if options.pcaDimension > 0 && x.shape[1] > options.pcaDimension {
      let k = min(options.pcaDimension, n)
      input = try PCA.fit(x, componentCount: k, seed: options.seed).transform(x)
    }
    // A perplexity near n cannot be reached; cap it so every row's search succeeds.
    let perplexity = min(options.perplexity, Double(n - 1) / 3)
    var p = affinities(input, perplexity: perplexity)
    let rate = options.learningRate ?? max(200, Double(n) / options.earlyExaggeration)
    let y = optimize(&p, n: n, options: options, learningRate: rate)
    return try Tensor(shape: [n, 2], scalars: y.map { Float($0) })
  }

  /// Squared Euclidean distances between rows, through one sgemm for the Gram matrix.
  @_optimize(speed)
  static func squaredDistances(_ x: Tensor) -> [Float] {
    let n = x.shape[0], d = x.shape[1]
    var gram = [Float](repeating: 0, count: n * n)
    x.withUnsafeBufferPointer { a in
      gram.withUnsafeMutableBufferPointer { g in
        BLAS.sgemm(transA: false, transB: true, m: n, n: n, k: d, a: a.baseAddress!, b: a.baseAddress!, c: g.baseAddress!)
        var norms = [Float](repeating: 0, count: n)
        for i in 0..<n { norms[i] = g[i * n + i] }
        for i in 0..<n {
          for j in 0..<n { g[i * n + j] = max(0, norms[i] + norms[j] - 2 * g[i * n + j]) }
          g[i * n + i] = 0
        }
      }
    }
    return gram
  }

  /// Symmetric joint affinities P (n x n, summing to 1): per row, the Gaussian conditional
  /// p(j|i) whose entropy is log(perplexity), then (p(j|i) + p(i|j)) / 2n.
  @_optimize(speed)
  static func affinities(_ x: Tensor, perplexity: Double) -> [Float] {
    let n = x.shape[0]
    var p = squaredDistances(x)
    let target = Foundation.log(perplexity)
    var row = [Double](repeating: 0, count: n)
    p.withUnsafeMutableBufferPointer { m in
      row.withUnsafeMutableBufferPointer { prob in
        for i in 0..<n {
          let base = i * n
          // Shift by the nearest neighbour's distance so exp never underflows for the whole row.
          var nearest = Float.greatestFiniteMagnitude
          for j in 0..<n where j != i { nearest = min(nearest, m[base + j]) }
          var beta = 1.0, low = 0.0, high = Double.infinity
          var sum = 0.0
          for _ in 0..<200 {
            sum = 0
            var weighted = 0.0
            for j in 0..<n {
              if j == i { prob[j] = 0; continue }
              let dist = Double(m[base + j] - nearest)
              let v = Foundation.exp(-beta * dist)
              prob[j] = v
              sum += v
              weighted += dist * v
            }
            let entropy = Foundation.log(sum) + beta * weighted / sum
            let gap = entropy - target
            if abs(gap) < 1e-5 { break }
            if gap > 0 {  // too flat: sharpen
              low = beta
              beta = high.isInfinite ? beta * 2 : (beta + high) / 2
            } else {
              high = beta
              beta = (beta + low) / 2
            }
          }
          for j in 0..<n { m[base + j] = Float(prob[j] / sum) }
        }
        // Symmetrise in place: P_ij = (p(j|i) + p(i|j)) / 2n, floored so no pair is ignored.
        let scale = Float(1 / (2 * Double(n)))
        for i in 0..<n {
          for j in (i + 1)..<n {
            let v = max((m[i * n + j] + m[j * n + i]) * scale, 1e-12)
            m[i * n + j] = v
            m[j * n + i] = v
          }
          m[i * n + i] = 0
        }
      }
    }
    return p
  }

  /// Gradient descent with momentum and per-coordinate gains (the delta-bar-delta scheme of the
  /// reference implementation). Returns the row-major [n, 2] embedding.
  @_optimize(speed)
  static func optimize(_ p: inout [Float], n: Int, options: TSNEOptions, learningRate: Double) -> [Double] {
    var rng = RandomGenerator(seed: options.seed)
    var y = (0..<(2 * n)).map { _ in 1e-4 * Double(rng.nextNormal()) }
    var velocity = [Double](repeating: 0, count: 2 * n)
    var gains = [Double](repeating: 1, count: 2 * n)
    var gradient = [Double](repeating: 0, count: 2 * n)
    var kernel = [Float](repeating: 0, count: n * n)  // 1 / (1 + |y_i - y_j|^2), upper triangle

    p.withUnsafeBufferPointer { pm in
      kernel.withUnsafeMutableBufferPointer { q in
        y.withUnsafeMutableBufferPointer { y in
          velocity.withUnsafeMutableBufferPointer { v in
            gains.withUnsafeMutableBufferPointer { g in
              gradient.withUnsafeMutableBufferPointer { grad in
                for iteration in 0..<options.iterations {
                  let exaggeration = iteration < options.exaggerationIterations ? options.earlyExaggeration : 1
                  let momentum = iteration < options.exaggerationIterations ? 0.5 : 0.8
                  // Student-t kernel and its normaliser Z over all ordered pairs.
                  var z = 0.0
                  for i in 0..<n {
                    let yi0 = y[2 * i], yi1 = y[2 * i + 1]
                    var rowSum: Float = 0
                    for j in (i + 1)..<n {
                      let d0 = yi0 - y[2 * j], d1 = yi1 - y[2 * j + 1]
                      let k = Float(1 / (1 + d0 * d0 + d1 * d1))
                      q[i * n + j] = k
                      rowSum += k
                    }
                    z += 2 * Double(rowSum)
                  }
                  let inverseZ = Float(1 / max(z, 1e-300))
                  let ex = Float(exaggeration)
                  for i in 0..<(2 * n) { grad[i] = 0 }
                  // dC/dy_i = 4 sum_j (P_ij - Q_ij) k_ij (y_i - y_j), each pair visited once.
                  for i in 0..<n {
                    let yi0 = y[2 * i], yi1 = y[2 * i + 1]
                    var gi0 = 0.0, gi1 = 0.0
                    for j in (i + 1)..<n {
                      let k = q[i * n + j]
                      let m = Double((ex * pm[i * n + j] - k * inverseZ) * k)
                      let f0 = m * (yi0 - y[2 * j]), f1 = m * (yi1 - y[2 * j + 1])
                      gi0 += f0
                      gi1 += f1
                      grad[2 * j] -= f0
                      grad[2 * j + 1] -= f1
                    }
                    grad[2 * i] += gi0
                    grad[2 * i + 1] += gi1
                  }
                  var mean0 = 0.0, mean1 = 0.0
                  for c in 0..<(2 * n) {
                    let gc = 4 * grad[c]
                    // Grow the gain while the step keeps its direction, shrink it when it flips.
                    g[c] = (gc > 0) != (v[c] > 0) ? g[c] + 0.2 : max(g[c] * 0.8, 0.01)
                    v[c] = momentum * v[c] - learningRate * g[c] * gc
                    y[c] += v[c]
                    if c & 1 == 0 { mean0 += y[c] } else { mean1 += y[c] }
                  }
                  mean0 /= Double(n)
                  mean1 /= Double(n)
                  for i in 0..<n { y[2 * i] -= mean0; y[2 * i + 1] -= mean1 }
                }
              }
            }
          }
        }
      }
    }
    return y
  }
}
