/// Float32 exp and tanh written in plain arithmetic (no calls, no branches), so the loops of
/// softmax, logsumexp and the activations that call them auto-vectorise. glibc's `expf` costs
/// a call per element and `tanhf` several times that; these are within a few ulp of them.
///
/// Inputs beyond Float's range give the limits (exp: 0 below about -87.3, +inf above 88.4);
/// NaN gives NaN; nothing traps.
@usableFromInline
enum FastMath {
  /// e^x: 2^k · e^r with k = round(x / ln 2) and |r| ≤ ln 2 / 2, e^r by the Cephes `expf`
  /// polynomial (peak relative error about 2e-7), 2^k built in the exponent bits.
  @inlinable @inline(__always)
  static func exp(_ x: Float) -> Float {
    // adding 1.5 * 2^23 rounds to an integer held in the low mantissa bits (SSE2 has no round)
    let t = x * 1.442_695_04 + 12_582_912
    let k = t - 12_582_912
    // ln 2 split in two (0.693359375 is exact in few bits) so r keeps its precision
    let r = (x - k * 0.693_359_375) - k * -2.121_944_40e-4
    var p: Float = 1.987_569_150_0e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let er = p * r * r + r + 1
    let ki = Int32(bitPattern: t.bitPattern) &- 0x4B40_0000
    let scale = Float(bitPattern: UInt32(bitPattern: (ki &+ 127) << 23))
    let y = er * scale
    return x > 88.376_262_664_794_9 ? .infinity : (x < -87.336_544_750_553_1 ? 0 : y)
  }

  /// tanh(x) as `1 - 2 / (e^{2|x|} + 1)` with the sign restored; below |x| = 0.25, where that
  /// form cancels, the odd Taylor series to x^9 (truncation error under 1e-8 relative).
  @inlinable @inline(__always)
  static func tanh(_ x: Float) -> Float {
    let a = x < 0 ? -x : x
    let big = 1 - 2 / (exp(2 * a) + 1)
    let a2 = a * a
    let small = a + a * a2 * (-1.0 / 3 + a2 * (2.0 / 15 + a2 * (-17.0 / 315 + a2 * (62.0 / 2835))))
    let t = a < 0.25 ? small : big
    return x < 0 ? -t : t
  }

  /// The logistic function 1 / (1 + e^-x), through e^-|x| so nothing overflows.
  @inlinable @inline(__always)
  static func sigmoid(_ x: Float) -> Float {
    let e = exp(x < 0 ? x : -x)
    let s = 1 / (1 + e)
    return x < 0 ? e * s : s
  }
}
