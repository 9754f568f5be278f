import Foundation

/// Softmax and log-softmax along one axis as fused kernels with their own gradients. They are hot
/// in the DPQ model (soft assignment to K codewords, the classification loss), where composing
/// them from max, exp, sum and div would make four passes and four tensors per call.
///
/// The input is viewed as `[outer, n, inner]` around the axis. The last axis (`inner == 1`) runs
/// over contiguous rows; other axes process `inner` lanes at once with small scratch rows.

extension Tensor {
  /// `exp(x - max) / sum(exp(x - max))` along `axis`. A slice holding +inf or only -inf gives NaN.
  public func softmax(axis: Int) throws -> Tensor {
    let (outer, n, inner) = try softmaxBlock(axis, op: "softmax")
    let xp = storage.pointer
    let y = Tensor(shape: shape) { o in
      guard let yp = o.baseAddress, n > 0 else { return }
      if inner == 1 {
        for i in 0..<outer {
          let xr = xp + i * n
          let yr = yp + i * n
          let m = Tensor.rowShift(xr, n)
          for r in 0..<n { yr[r] = FastMath.exp(xr[r] - m) }
          let inv = 1 / Tensor.softmaxRowSum(yr, n)
          for r in 0..<n { yr[r] *= inv }
        }
        return
      }
      Tensor.forEachSlice(outer, n, inner) { base, lanes, mBuf, sBuf in
        Tensor.sliceMaximum(xp + base, n, inner, lanes, into: mBuf)
        for j in 0..<lanes { sBuf[j] = 0 }
        for r in 0..<n {
          let xr = xp + base + r * inner
          let yr = yp + base + r * inner
          for j in 0..<lanes {
            let e = FastMath.exp(xr[j] - mBuf[j])
            yr[j] = e
            sBuf[j] += e
          }
        }
        for j in 0..<lanes { sBuf[j] = 1 / sBuf[j] }
        for r in 0..<n {
          let yr = yp + base + r * inner
          for j in 0..<lanes { yr[j] *= sBuf[j] }
        }
      }
    }
    return Tensor.record(y, op: "softmax", inputs: [self]) { g in
      // dx = y * (g - sum(g * y)) along the axis
      let gp = g.storage.pointer
      let yp = y.storage.pointer
      return [
        Tensor(shape: y.shape) { o in
          guard let dp = o.baseAddress, n > 0 else { return }
          if inner == 1 {
            for i in 0..<outer {
              let gr = gp + i * n
              let yr = yp + i * n
              let dr = dp + i * n
              for r in 0..<n { dr[r] = gr[r] * yr[r] }
              let dot = Tensor.softmaxRowSum(dr, n)
              for r in 0..<n { dr[r] = yr[r] * (gr[r] - dot) }
            }
            return
          }
          Tensor.forEachSlice(outer, n, inner) { base, lanes, dot, _ in
            for j in 0..<lanes { dot[j] = 0 }
            for r in 0..<n {
              let off = base + r * inner
              for j in 0..<lanes { dot[j] += gp[off + j] * yp[off + j] }
            }
            for r in 0..<n {
              let off = base + r * inner
              for j in 0..<lanes { dp[off + j] = yp[off + j] * (gp[off + j] - dot[j]) }
            }
          }
        }
      ]
    }
  }

  /// `x - max - log(sum(exp(x - max)))` along `axis`: the log of `softmax(axis:)` without its
  /// underflow, for cross-entropy losses.
  public func logSoftmax(axis: Int) throws -> Tensor {
    let (outer, n, inner) = try softmaxBlock(axis, op: "logSoftmax")
    let xp = storage.pointer
    let y = Tensor(shape: shape) { o in
      guard let yp = o.baseAddress, n > 0 else { return }
      if inner == 1 {
        for i in 0..<outer {
          let xr = xp + i * n
          let yr = yp + i * n
          let m = Tensor.rowShift(xr, n)
          // the exponentials pass through the output row, which is then overwritten
          for r in 0..<n { yr[r] = FastMath.exp(xr[r] - m) }
          let lse = m + Foundation.log(Tensor.softmaxRowSum(yr, n))
          for r in 0..<n { yr[r] = xr[r] - lse }
        }
        return
      }
      Tensor.forEachSlice(outer, n, inner) { base, lanes, mBuf, sBuf in
        Tensor.sliceMaximum(xp + base, n, inner, lanes, into: mBuf)
        for j in 0..<lanes { sBuf[j] = 0 }
        for r in 0..<n {
          let xr = xp + base + r * inner
          for j in 0..<lanes { sBuf[j] += FastMath.exp(xr[j] - mBuf[j]) }
        }
        for j in 0..<lanes { mBuf[j] += Foundation.log(sBuf[j]) }
        for r in 0..<n {
          let xr = xp + base + r * inner
          let yr = yp + base + r * inner
          for j in 0..<lanes { yr[j] = xr[j] - mBuf[j] }
        }
      }
    }
    return Tensor.record(y, op: "logSoftmax", inputs: [self]) { g in
      // dx = g - softmax * sum(g) along the axis, with softmax = exp(y)
      let gp = g.storage.pointer
      let yp = y.storage.pointer
      return [
        Tensor(shape: y.shape) { o in
          guard let dp = o.baseAddress, n > 0 else { return }
          if inner == 1 {
            for i in 0..<outer {
              let gr = gp + i * n
              let yr = yp + i * n
              let dr = dp + i * n
              let total = Tensor.softmaxRowSum(gr, n)
              for r in 0..<n { dr[r] = gr[r] - FastMath.exp(yr[r]) * total }
            }
            return
          }
          Tensor.forEachSlice(outer, n, inner) { base, lanes, total, _ in
            for j in 0..<lanes { total[j] = 0 }
            for r in 0..<n {
              let off = base + r * inner
              for j in 0..<lanes { total[j] += gp[off + j] }
            }
            for r in 0..<n {
              let off = base + r * inner
              for j in 0..<lanes { dp[off + j] = gp[off + j] - FastMath.exp(yp[off + j]) * total[j] }
            }
          }
        }
      ]
    }
  }

  /// Splits the shape at `axis` into `[outer, n, inner]` (negative axes count from the end).
  fileprivate func softmaxBlock(_ axis: Int, op: String) throws -> (outer: Int, n: Int, inner: Int) {
    let k = axis < 0 ? axis + rank : axis
    guard k >= 0 && k < rank else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
    return (shape[..<k].reduce(1, *), shape[k], shape[(k + 1)...].reduce(1, *))
  }

  /// Calls `body(base, lanes, scratchA, scratchB)` for every slice along the axis: `base` is the
  /// slice's first element, and `lanes` neighbouring slices (up to `inner`, at most 256 at a time
  /// so the scratch rows stay in L1) are handled together with stride `inner` between steps.
  @inline(__always)
  fileprivate static func forEachSlice(
    _ outer: Int, _ n: Int, _ inner: Int,
    _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void
  ) {
    let width = Swift.min(inner, 256)
    let a = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(width, 1))
    let b = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(width, 1))
    defer {
      a.deallocate()
      b.deallocate()
    }
    for o in 0..<outer {
      var j0 = 0
      while j0 < inner {
        body(o * n * inner + j0, Swift.min(width, inner - j0), a, b)
        j0 += width
      }
    }
  }

  /// The sum of a contiguous row with four accumulators: independent chains the CPU overlaps,
  /// where one accumulator would serialise every add (Float adds are not reassociated).
  @inline(__always)
  fileprivate static func softmaxRowSum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var s0: Float = 0
    var s1: Float = 0
    var s2: Float = 0
    var s3: Float = 0
    var r = 0
    while r + 4 <= n {
      s0 += p[r]
      s1 += p[r + 1]
      s2 += p[r + 2]
      s3 += p[r + 3]
      r += 4
    }
    while r < n {
      s0 += p[r]
      r += 1
    }
    return (s0 + s1) + (s2 + s3)
  }

  /// The shift for one contiguous row: its NaN-propagating maximum, or 0 where that is infinite.
  @inline(__always)
  fileprivate static func rowShift(_ x: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var m = x[0]
    for r in 1..<Swift.max(n, 1) {
      let v = x[r]
      m = v > m || v.isNaN ? v : m
    }
    return m.isInfinite ? 0 : m
  }

  /// The NaN-propagating maximum of each of `lanes` strided slices of length `n`, replaced by 0
  /// where it is not finite (so an all -inf slice does not compute -inf - -inf).
  @inline(__always)
  fileprivate static func sliceMaximum(
    _ x: UnsafeMutablePointer<Float>, _ n: Int, _ inner: Int, _ lanes: Int,
    into m: UnsafeMutablePointer<Float>
  ) {
    for j in 0..<lanes { m[j] = x[j] }
    for r in 1..<Swift.max(n, 1) {
      let xr = x + r * inner
      for j in 0..<lanes {
        let v = xr[j]
        m[j] = v > m[j] || v.isNaN ? v : m[j]
      }
    }
    for j in 0..<lanes where !m[j].isFinite && !m[j].isNaN { m[j] = 0 }
  }
}
