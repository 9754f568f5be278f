import Foundation

/// A seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64) whose sequence is
/// identical on every machine: dpq's splits, initialisations and shuffles are reproducible.
public struct RandomGenerator: RandomNumberGenerator {
  private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
  /// A spare standard normal from the last Box-Muller pair.
  private var spareNormal: Float?

  public init(seed: UInt64) {
    var x = seed
    func splitmix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitmix()
    s1 = splitmix()
    s2 = splitmix()
    s3 = splitmix()
  }

  /// The complete state (four xoshiro words, then 1 and the spare normal's bits, or 0 and 0), so a
  /// checkpoint can continue the exact sequence.
  public var state: [UInt64] {
    [s0, s1, s2, s3, spareNormal == nil ? 0 : 1, UInt64(spareNormal?.bitPattern ?? 0)]
  }

  /// A generator continuing from `state` (as `state` returned it); nil if it is not such a state.
  public init?(state: [UInt64]) {
    guard state.count == 6, state[0...3].contains(where: { $0 != 0 }), state[4] <= 1 else { return nil }
    s0 = state[0]
    s1 = state[1]
    s2 = state[2]
    s3 = state[3]
    spareNormal = state[4] == 1 ? Float(bitPattern: UInt32(truncatingIfNeeded: state[5])) : nil
  }

  public mutating func next() -> UInt64 {
    let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << 45) | (s3 >> 19)
    return result
  }

  /// Uniform in [0, 1) with 24 random bits (exactly representable in Float).
  public mutating func nextUniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

  /// Uniform integer in 0..<bound without modulo bias (Lemire's method).
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0)
    let b = UInt64(bound)
    var m = next().multipliedFullWidth(by: b)
    if m.low < b {
      let t = (0 &- b) % b
      while m.low < t { m = next().multipliedFullWidth(by: b) }
    }
    return Int(m.high)
  }

  /// Standard normal by Box-Muller in Double, so the values do not depend on Float libm details.
  public mutating func nextNormal() -> Float {
    if let s = spareNormal {
      spareNormal = nil
      return s
    }
    var u1 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    if u1 < 1e-300 { u1 = 1e-300 }
    let u2 = Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    let r = (-2 * Foundation.log(u1)).squareRoot()
    let a = 2 * Double.pi * u2
    spareNormal = Float(r * sin(a))
    return Float(r * cos(a))
  }

  /// A uniformly random permutation of 0..<n (Fisher-Yates).
  public mutating func permutation(_ n: Int) -> [Int] {
    var p = Array(0..<n)
    if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, nextInt(below: i + 1)) } }
    return p
  }

  /// `k` distinct values from 0..<n in random order (partial Fisher-Yates).
  public mutating func choice(_ n: Int, count k: Int) throws -> [Int] {
    guard k >= 0 && k <= n else {
      throw TensorError.invalidArgument(op: "choice", reason: "cannot choose \(k) distinct values from \(n)")
    }
    var p = Array(0..<n)
    for i in 0..<k { p.swapAt(i, i + nextInt(below: n - i)) }
    return Array(p[0..<k])
  }
}

extension Tensor {
  /// Normal values with the given mean and standard deviation.
  public static func randomNormal(
    _ shape: [Int], mean: Float = 0, std: Float = 1,
    using rng: inout RandomGenerator
  ) throws -> Tensor {
    try checkShape(shape, op: "randomNormal")
    return Tensor(shape: shape) { b in for i in b.indices { b[i] = mean + std * rng.nextNormal() } }
  }

  /// Uniform values in [low, high).
  public static func randomUniform(
    _ shape: [Int], low: Float = 0, high: Float = 1,
    using rng: inout RandomGenerator
  ) throws -> Tensor {
    try checkShape(shape, op: "randomUniform")
    return Tensor(shape: shape) { b in for i in b.indices { b[i] = low + (high - low) * rng.nextUniform() } }
  }
}
