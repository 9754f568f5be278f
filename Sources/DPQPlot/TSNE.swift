import DPQTensor
import Foundation

/// Settings for `TSNE.embed`.
public struct TSNEOptions: Equatable, Sendable {
  /// The effective number of neighbours each point attends to (typically 5...50).
  public var perplexity: Double
  public var iterations: Int
  /// Step size; nil uses n / (4 exaggeration) (Belkina et al. 2019, for this gradient's factor 4):
  /// one step then moves a point about as far as its exaggerated attraction asks. The fixed 200 of
  /// the reference code overshoots on the few thousand points exact t-SNE is used for.
  public var learningRate: Double?
  /// Factor on the input affinities during the first `exaggerationIterations` steps (at most half
  /// of all iterations), which lets clusters form before they settle.
  public var earlyExaggeration: Double
  public var exaggerationIterations: Int
  public var seed: UInt64
  /// Inputs with more dimensions are first reduced to this many by PCA (0: never).
  public var pcaDimension: Int
  /// Polled before every iteration; returning true ends the run early (the REPL's Ctrl-C; the
  /// caller then discards the embedding). Not part of equality.
  public var shouldStop: (@Sendable () -> Bool)? = nil

  public static func == (a: TSNEOptions, b: TSNEOptions) -> Bool {
    a.perplexity == b.perplexity && a.iterations == b.iterations && a.learningRate == b.learningRate
      && a.earlyExaggeration == b.earlyExaggeration && a.exaggerationIterations == b.exaggerationIterations
      && a.seed == b.seed && a.pcaDimension == b.pcaDimension
  }

  public init(
    perplexity: Double = 30, iterations: Int = 1000, learningRate: Double? = nil,
    earlyExaggeration: Double = 12, exaggerationIterations: Int = 250, seed: UInt64 = 0,
    pcaDimension: Int = 50
  ) {
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
    guard x.rank == 2 else {
      throw PlotError.invalidArgument(function: function, reason: "expected [n, D] data, got shape \(x.shape)")
    }
    let n = x.shape[0]
    guard n >= 4 else {
      throw PlotError.invalidArgument(function: function, reason: "need at least 4 points, got \(n)")
    }
    guard n <= maxPoints else {
      throw PlotError.invalidArgument(
        function: function, reason: "\(n) points is more than exact t-SNE handles (\(maxPoints)); subsample first")
    }
    guard options.perplexity > 1, options.iterations >= 1, options.earlyExaggeration >= 1 else {
      throw PlotError.invalidArgument(
        function: function, reason: "perplexity must exceed 1, iterations and exaggeration be at least 1")
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
    let rate = options.learningRate ?? max(Double(n) / options.earlyExaggeration / 4, 1)
    let y = optimize(&p, n: n, options: options, learningRate: rate)
    return try Tensor(shape: [n, 2], scalars: y.map { Float($0) })
  }

  // The O(n^2) loops run over raw pointers with no closures or arrays inside, so the optimiser
  // turns them into straight-line code.

  /// Squared Euclidean distances between rows into `out` (n x n), through one sgemm for the Gram matrix.
  static func squaredDistances(_ x: Tensor, into out: UnsafeMutablePointer<Float>) {
    let n = x.shape[0]
    let d = x.shape[1]
    x.withUnsafeBufferPointer { a in
      BLAS.sgemm(transA: false, transB: true, m: n, n: n, k: d, a: a.baseAddress!, b: a.baseAddress!, c: out)
    }
    gramToDistances(out, n: n)
  }

  static func gramToDistances(_ g: UnsafeMutablePointer<Float>, n: Int) {
    let norms = UnsafeMutablePointer<Float>.allocate(capacity: n)
    defer { norms.deallocate() }
    var i = 0
    while i < n {
      norms[i] = g[i * n + i]
      i += 1
    }
    i = 0
    while i < n {
      var j = 0
      while j < n {
        let v = norms[i] + norms[j] - 2 * g[i * n + j]
        g[i * n + j] = v > 0 ? v : 0
        j += 1
      }
      g[i * n + i] = 0
      i += 1
    }
  }

  /// Symmetric joint affinities P (n x n, summing to 1): per row, the Gaussian conditional
  /// p(j|i) whose entropy is log(perplexity), then (p(j|i) + p(i|j)) / 2n.
  static func affinities(_ x: Tensor, perplexity: Double) -> [Float] {
    let n = x.shape[0]
    var p = [Float](repeating: 0, count: n * n)
    p.withUnsafeMutableBufferPointer { m in
      squaredDistances(x, into: m.baseAddress!)
      conditionalToJoint(m.baseAddress!, n: n, perplexity: perplexity)
    }
    return p
  }

  static func conditionalToJoint(_ m: UnsafeMutablePointer<Float>, n: Int, perplexity: Double) {
    let target = Foundation.log(perplexity)
    let prob = UnsafeMutablePointer<Double>.allocate(capacity: n)
    defer { prob.deallocate() }
    var i = 0
    while i < n {
      let row = m + i * n
      // Shift by the nearest neighbour's distance so exp never underflows for the whole row.
      var nearest = Float.greatestFiniteMagnitude
      var j = 0
      while j < n {
        if j != i && row[j] < nearest { nearest = row[j] }
        j += 1
      }
      var beta = 1.0
      var low = 0.0
      var high = Double.infinity
      var sum = 0.0
      var attempt = 0
      while attempt < 200 {
        sum = 0
        var weighted = 0.0
        j = 0
        while j < n {
          if j == i {
            prob[j] = 0
          } else {
            let dist = Double(row[j] - nearest)
            let v = Foundation.exp(-beta * dist)
            prob[j] = v
            sum += v
            weighted += dist * v
          }
          j += 1
        }
        let gap = Foundation.log(sum) + beta * weighted / sum - target
        if abs(gap) < 1e-5 { break }
        if gap > 0 { // too flat: sharpen
          low = beta
          beta = high.isInfinite ? beta * 2 : (beta + high) / 2
        } else {
          high = beta
          beta = (beta + low) / 2
        }
        attempt += 1
      }
      j = 0
      while j < n {
        row[j] = Float(prob[j] / sum)
        j += 1
      }
      i += 1
    }
    // Symmetrise in place: P_ij = (p(j|i) + p(i|j)) / 2n, floored so no pair is ignored.
    let scale = Float(1 / (2 * Double(n)))
    i = 0
    while i < n {
      var j = i + 1
      while j < n {
        var v = (m[i * n + j] + m[j * n + i]) * scale
        if v < 1e-12 { v = 1e-12 }
        m[i * n + j] = v
        m[j * n + i] = v
        j += 1
      }
      m[i * n + i] = 0
      i += 1
    }
  }

  /// Gradient descent with momentum and per-coordinate gains (the delta-bar-delta scheme of the
  /// reference implementation). Returns the row-major [n, 2] embedding.
  static func optimize(_ p: inout [Float], n: Int, options: TSNEOptions, learningRate: Double) -> [Double] {
    var rng = RandomGenerator(seed: options.seed)
    // Coordinates and per-point state as separate x and y arrays (structure of arrays), so the
    // pair loop reads and writes contiguous memory.
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: 12 * n)
    defer { buffer.deallocate() }
    buffer.initialize(repeating: 0, count: 12 * n)
    let y = (buffer, buffer + n)
    let velocity = (buffer + 2 * n, buffer + 3 * n)
    let gains = (buffer + 4 * n, buffer + 5 * n)
    let attraction = (buffer + 6 * n, buffer + 7 * n)
    let repulsion = (buffer + 8 * n, buffer + 9 * n)
    for i in 0..<n {
      y.0[i] = 1e-4 * rng.nextNormal()
      y.1[i] = 1e-4 * rng.nextNormal()
    }
    gains.0.update(repeating: 1, count: n)
    gains.1.update(repeating: 1, count: n)
    // A run that ended while still exaggerating would show collapsed clusters.
    let exaggerationEnd = min(options.exaggerationIterations, options.iterations / 2)
    p.withUnsafeBufferPointer { pm in
      for iteration in 0..<options.iterations {
        if let stop = options.shouldStop, stop() { break }
        let early = iteration < exaggerationEnd
        let z = accumulateForces(
          p: pm.baseAddress!, y: y, attraction: attraction, repulsion: repulsion, n: n,
          exaggeration: Float(early ? options.earlyExaggeration : 1))
        update(
          y: y, velocity: velocity, gains: gains, attraction: attraction, repulsion: repulsion, n: n,
          inverseZ: Float(1 / max(z, 1e-30)), momentum: early ? 0.5 : 0.8, learningRate: Float(learningRate))
      }
    }
    var result = [Double](repeating: 0, count: 2 * n)
    for i in 0..<n {
      result[2 * i] = Double(y.0[i])
      result[2 * i + 1] = Double(y.1[i])
    }
    return result
  }

  typealias Plane = (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)

  /// One pass over all pairs. With k_ij = 1 / (1 + |y_i - y_j|^2) and Z = sum k, the gradient
  /// 4 sum_j (P_ij - k_ij / Z) k_ij (y_i - y_j) splits into an attraction
  /// sum_j P_ij k_ij (y_i - y_j) and a repulsion sum_j k_ij^2 (y_i - y_j) / Z, so Z is only needed
  /// at the end and the kernel matrix is never stored. Each row runs eight pairs at a time in SIMD
  /// registers with no stores inside the loop; visiting both (i, j) and (j, i) costs twice the
  /// arithmetic of the symmetric half but vectorises, which the scatter of the half does not.
  /// Returns Z.
  static func accumulateForces(
    p: UnsafePointer<Float>, y: Plane, attraction a: Plane, repulsion r: Plane, n: Int,
    exaggeration: Float
  ) -> Double {
    let vectorEnd = n - n % 8
    var z = 0.0
    for i in 0..<n {
      let xi = y.0[i]
      let yi = y.1[i]
      let row = p + i * n
      let xiv = SIMD8<Float>(repeating: xi)
      let yiv = SIMD8<Float>(repeating: yi)
      var vax = SIMD8<Float>()
      var vay = SIMD8<Float>()
      var vrx = SIMD8<Float>()
      var vry = SIMD8<Float>()
      var vz = SIMD8<Float>()
      var j = 0
      while j < vectorEnd {
        let dx = xiv - UnsafeRawPointer(y.0 + j).loadUnaligned(as: SIMD8<Float>.self)
        let dy = yiv - UnsafeRawPointer(y.1 + j).loadUnaligned(as: SIMD8<Float>.self)
        let k = 1 / (1 + dx * dx + dy * dy)
        let pull = exaggeration * UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self) * k
        let push = k * k
        vz += k
        vax += pull * dx
        vay += pull * dy
        vrx += push * dx
        vry += push * dy
        j += 8
      }
      var ax = vax.sum()
      var ay = vay.sum()
      var rx = vrx.sum()
      var ry = vry.sum()
      var zRow = vz.sum()
      while j < n {
        let dx = xi - y.0[j]
        let dy = yi - y.1[j]
        let k = 1 / (1 + dx * dx + dy * dy)
        let pull = exaggeration * row[j] * k
        let push = k * k
        zRow += k
        ax += pull * dx
        ay += pull * dy
        rx += push * dx
        ry += push * dy
        j += 1
      }
      a.0[i] = ax
      a.1[i] = ay
      r.0[i] = rx
      r.1[i] = ry
      z += Double(zRow) - 1 // the pair (i, i) contributed k = 1 and no force
    }
    return z
  }

  /// The gradient step for every coordinate, then re-centring the embedding at the origin.
  static func update(
    y: Plane, velocity v: Plane, gains g: Plane, attraction a: Plane, repulsion r: Plane, n: Int,
    inverseZ: Float, momentum: Float, learningRate: Float
  ) {
    var mean0: Float = 0
    var mean1: Float = 0
    for (yc, vc, gc, ac, rc) in [(y.0, v.0, g.0, a.0, r.0), (y.1, v.1, g.1, a.1, r.1)] {
      var i = 0
      var sum: Float = 0
      while i < n {
        let gradient = 4 * (ac[i] - rc[i] * inverseZ)
        // Grow the gain while the step keeps its direction, shrink it when it flips.
        gc[i] = (gradient > 0) != (vc[i] > 0) ? gc[i] + 0.2 : max(gc[i] * 0.8, 0.01)
        vc[i] = momentum * vc[i] - learningRate * gc[i] * gradient
        yc[i] += vc[i]
        sum += yc[i]
        i += 1
      }
      if yc == y.0 { mean0 = sum / Float(n) } else { mean1 = sum / Float(n) }
    }
    var i = 0
    while i < n {
      y.0[i] -= mean0
      y.1[i] -= mean1
      i += 1
    }
  }
}
