/// The inner loop of every search: running sums of lookup-table entries over a tile of items.
///
/// For item i with codes b_0..b_{M-1}, the running sum after block m is
/// `s_m = (((T_0[b_0] + T_1[b_1]) + ...) + T_m[b_m])`, always added left to right, so a search
/// over m+1 blocks and the one-pass evaluation of every prefix produce bit-identical scores.

/// Running sums for items `start ..< start + count`.
/// - `all`: write `s_m` for every m < blocks to `out[m * outStride + j]`; otherwise write only the
///   final sum to `out[j]`.
@inline(__always)
private func runningSums<C: FixedWidthInteger & UnsignedInteger>(
  _ codes: UnsafePointer<C>, stride: Int, lut: UnsafePointer<Float>, codewordCount k: Int,
  start: Int, count: Int, blocks: Int, all: Bool, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  var p = codes + start * stride
  for j in 0..<count {
    var s = lut[Int(p[0])]
    if all { out[j] = s }
    var m = 1
    while m < blocks {
      s += lut[m * k + Int(p[m])]
      if all { out[m * outStride + j] = s }
      m += 1
    }
    if !all { out[j] = s }
    p += stride
  }
}

/// Dispatches to a copy of `runningSums` specialised for 1 to 8 blocks (the loop over blocks is
/// then fully unrolled), or the general loop beyond.
func scanRunningSums<C: FixedWidthInteger & UnsignedInteger>(
  _ codes: UnsafePointer<C>, stride: Int, lut: UnsafePointer<Float>, codewordCount k: Int,
  start: Int, count: Int, blocks: Int, all: Bool, out: UnsafeMutablePointer<Float>, outStride: Int
) {
  @inline(__always) func run(_ b: Int, _ a: Bool) {
    runningSums(codes, stride: stride, lut: lut, codewordCount: k, start: start, count: count,
                blocks: b, all: a, out: out, outStride: outStride)
  }
  switch (blocks, all) {
  case (1, _): run(1, false)
  case (2, false): run(2, false)
  case (2, true): run(2, true)
  case (3, false): run(3, false)
  case (3, true): run(3, true)
  case (4, false): run(4, false)
  case (4, true): run(4, true)
  case (8, false): run(8, false)
  case (8, true): run(8, true)
  default: run(blocks, all)
  }
}

/// Turns running sums into goodness (larger is better) in place: the inner product itself, or the
/// negated squared distance `-((||q||^2 - 2 s) + ||x_hat||^2)` (negation is exact, so the distance
/// is recovered bit for bit).
@inline(__always)
func convertToGoodness(_ values: UnsafeMutablePointer<Float>, count: Int, metric: IndexMetric,
                       queryNorm: Float, itemNorms: UnsafePointer<Float>) {
  guard metric == .squaredL2 else { return }
  for j in 0..<count { values[j] = -((queryNorm - 2 * values[j]) + itemNorms[j]) }
}

/// The user-facing score of a goodness value.
@inline(__always) func score(fromGoodness g: Float, metric: IndexMetric) -> Float {
  metric == .squaredL2 ? -g : g
}
