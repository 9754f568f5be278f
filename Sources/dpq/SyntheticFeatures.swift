import DPQTensor

/// Synthetic database features for `dpq bench scale`: a mixture of `clusterCount` centres in D
/// dimensions plus uniform noise, cheap enough to make 10 million rows chunk by chunk and throw
/// each chunk away once it is encoded (the benchmark never holds a float copy of the database).
///
/// Row i depends only on (seed, i), so any chunking gives the same rows and the queries (rows
/// from a separate range) come from the same distribution as the database.
struct SyntheticFeatures {
  let dimension: Int
  let clusterCount: Int
  let seed: UInt64
  /// Centres `[clusterCount, D]`, coordinates N(0, 1/D) (norms near 1, like normalised features).
  private let centres: [Float]
  /// Half-width of the uniform noise per coordinate: noise energy is a quarter of the signal's.
  private let noise: Float

  /// First row of the query range: far beyond any database size.
  static let queryRowOffset = 1 << 40
  /// First row of the training range.
  static let trainRowOffset = 1 << 41

  init(dimension: Int, clusterCount: Int = 256, seed: UInt64 = 14) throws {
    self.dimension = dimension
    self.clusterCount = clusterCount
    self.seed = seed
    var rng = RandomGenerator(seed: seed)
    let c = try Tensor.randomNormal([clusterCount, dimension], using: &rng)
    let scale = 1 / Float(dimension).squareRoot()
    centres = c.scalars.map { $0 * scale }
    // Uniform on [-a, a] has variance a^2/3; a quarter of 1/D per coordinate.
    noise = (3 * 0.25 / Float(dimension)).squareRoot()
  }

  /// Rows `first ..< first + count` as a `[count, D]` tensor.
  func rows(_ first: Int, count: Int) -> Tensor {
    let d = dimension
    let noise = self.noise
    return centres.withUnsafeBufferPointer { c in
      Tensor(shape: [count, d]) { out in
        for r in 0..<count {
          var state = SyntheticFeatures.mix(seed &+ UInt64(first + r))
          let centre = Int(state % UInt64(clusterCount))
          let row = out.baseAddress! + r * d
          let base = c.baseAddress! + centre * d
          var j = 0
          while j < d {
            // Two uniform values in [-1, 1) from each 64-bit step.
            state = SyntheticFeatures.mix(state)
            let hi = Float(Int32(truncatingIfNeeded: state >> 32)) * (1 / 2_147_483_648)
            let lo = Float(Int32(truncatingIfNeeded: state)) * (1 / 2_147_483_648)
            row[j] = base[j] + noise * hi
            if j + 1 < d { row[j + 1] = base[j + 1] + noise * lo }
            j += 2
          }
        }
      }
    }
  }

  /// SplitMix64's output function: a cheap, well-mixed hash of a counter.
  @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
