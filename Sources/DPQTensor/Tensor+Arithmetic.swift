/// Broadcasting binary arithmetic (+ - * /) and its gradients. NumPy broadcasting rules: shapes
/// are aligned at the right and a dimension of 1 stretches to match.

extension Tensor {
  /// The broadcast result shape of two shapes, or a `shapeMismatch` naming `op`.
  public static func broadcastShape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    let r = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
      let da = i < r - a.count ? 1 : a[i - (r - a.count)]
      let db = i < r - b.count ? 1 : b[i - (r - b.count)]
      guard da == db || da == 1 || db == 1 else { throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b) }
      out[i] = da == 1 ? db : da
    }
    // the result is allocated by the caller: refuse it here, before `[10^5, 1] + [1, 10^5]`
    // asks malloc for 40 GB
    try Tensor.checkShape(out, op: op)
    return out
  }

  /// Strides of `shape` viewed inside the broadcast shape `out` (0 along stretched dimensions).
  static func broadcastStrides(_ shape: [Int], in out: [Int]) -> [Int] {
    let own = strides(of: shape)
    let pad = out.count - shape.count
    return (0..<out.count).map { i in i < pad || shape[i - pad] == 1 ? 0 : own[i - pad] }
  }

  /// Applies `f` elementwise over the broadcast of `a` and `b`. Fast paths for equal shapes and a
  /// scalar side; the general case walks the output with an odometer, innermost axis in a tight loop.
  static func broadcastMap(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
    if a.shape == b.shape {
      // the size is fine, but the memory left under an rlimit or cgroup limit may not be
      try checkShape(a.shape, op: op)
      return Tensor(shape: a.shape) { o in
        let x = a.storage.pointer
        let y = b.storage.pointer
        for i in 0..<o.count { o[i] = f(x[i], y[i]) }
      }
    }
    let outShape = try broadcastShape(a.shape, b.shape, op: op)
    if b.count == 1 {
      let y = b.storage.pointer[0]
      return Tensor(shape: outShape) { o in
        let x = a.storage.pointer
        for i in 0..<o.count { o[i] = f(x[i], y) }
      }
    }
    if a.count == 1 {
      let x = a.storage.pointer[0]
      return Tensor(shape: outShape) { o in
        let y = b.storage.pointer
        for i in 0..<o.count { o[i] = f(x, y[i]) }
      }
    }
    let sa = broadcastStrides(a.shape, in: outShape)
    let sb = broadcastStrides(b.shape, in: outShape)
    let r = outShape.count
    return Tensor(shape: outShape) { o in
      guard o.count > 0 else { return }
      let x = a.storage.pointer
      let y = b.storage.pointer
      let inner = outShape[r - 1]
      let ia = sa[r - 1]
      let ib = sb[r - 1]
      var idx = [Int](repeating: 0, count: r)
      var offA = 0
      var offB = 0
      var out = 0
      while out < o.count {
        // the common inner layouts (both contiguous, or one side constant along the row, as in a
        // bias add) get loops with known strides, which vectorise; the rest take the strided loop
        if ia == 1 && ib == 1 {
          for j in 0..<inner { o[out + j] = f(x[offA + j], y[offB + j]) }
        } else if ia == 1 && ib == 0 {
          let yv = y[offB]
          for j in 0..<inner { o[out + j] = f(x[offA + j], yv) }
        } else if ia == 0 && ib == 1 {
          let xv = x[offA]
          for j in 0..<inner { o[out + j] = f(xv, y[offB + j]) }
        } else {
          for j in 0..<inner { o[out + j] = f(x[offA + j * ia], y[offB + j * ib]) }
        }
        out += inner
        // advance the odometer over the outer axes
        var d = r - 2
        while d >= 0 {
          idx[d] += 1
          offA += sa[d]
          offB += sb[d]
          if idx[d] < outShape[d] { break }
          offA -= sa[d] * idx[d]
          offB -= sb[d] * idx[d]
          idx[d] = 0
          d -= 1
        }
      }
    }
  }

  /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
  public func sumToShape(_ target: [Int]) throws -> Tensor {
    if shape == target { return detached() }
    let pad = rank - target.count
    guard pad >= 0 else { throw TensorError.shapeMismatch(op: "sumToShape", lhs: shape, rhs: target) }
    for i in 0..<target.count where target[i] != 1 && target[i] != shape[i + pad] {
      throw TensorError.shapeMismatch(op: "sumToShape", lhs: shape, rhs: target)
    }
    let ts = Tensor.broadcastStrides(target, in: shape)
    let src = storage.pointer
    let r = rank
    return Tensor(shape: target, zeroed: true).filledBySumming(src, count: count, shape: shape, strides: ts, rank: r)
  }

  private func filledBySumming(
    _ src: UnsafeMutablePointer<Float>, count n: Int, shape s: [Int],
    strides ts: [Int], rank r: Int
  ) -> Tensor {
    let dst = storage.pointer
    var idx = [Int](repeating: 0, count: r)
    var off = 0
    for i in 0..<n {
      dst[off] += src[i]
      var d = r - 1
      while d >= 0 {
        idx[d] += 1
        off += ts[d]
        if idx[d] < s[d] { break }
        off -= ts[d] * idx[d]
        idx[d] = 0
        d -= 1
      }
    }
    return self
  }

  // MARK: operators

  // add, mul, div and neg are primitives (GradientTable); sub is the composite a + (-b), which
  // gives the same bits forward (a - b == a + (-b) in IEEE arithmetic) and backward (negation
  // commutes with the sums that undo broadcasting).

  public static func + (a: Tensor, b: Tensor) throws -> Tensor {
    recordSum(try broadcastMap(a, b, op: "add", +), a, b)
  }

  public static func - (a: Tensor, b: Tensor) throws -> Tensor {
    // the shapes are checked first, so that a mismatch is reported as "sub"
    _ = try broadcastShape(a.shape, b.shape, op: "sub")
    return try (a + b.negated()).labelled("sub", inputs: [a, b])
  }

  public static func * (a: Tensor, b: Tensor) throws -> Tensor {
    recordProduct(try broadcastMap(a, b, op: "mul", *), a, b)
  }

  public static func / (a: Tensor, b: Tensor) throws -> Tensor {
    let v = try broadcastMap(a, b, op: "div", /)
    let ad = a.detached()
    let bd = b.detached()
    return record(v, op: "div", inputs: [a, b]) { g in
      [
        a.requiresGrad ? try (g / bd).sumToShape(a.shape) : nil,
        b.requiresGrad ? try (try (g * ad) / (bd * bd)).negated().sumToShape(b.shape) : nil,
      ]
    }
  }

  /// The add primitive's node for `v`, the broadcast sum of `a` and `b` already computed.
  static func recordSum(_ v: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    record(v, op: "add", inputs: [a, b]) { g in
      [a.requiresGrad ? try g.sumToShape(a.shape) : nil, b.requiresGrad ? try g.sumToShape(b.shape) : nil]
    }
  }

  /// The mul primitive's node for `v`, the broadcast product of `a` and `b` already computed.
  /// A tensor times itself (the same node and values on both sides, as in `square()`) gets its
  /// gradient as one term, `2 g x`, rather than two terms `g x` added in turn.
  static func recordProduct(_ v: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let ad = a.detached()
    let bd = b.detached()
    if let n = a.node, n === b.node, a.storage === b.storage, a.shape == b.shape {
      return record(v, op: "mul", inputs: [a]) { g in
        [
          Tensor(shape: g.shape) { o in
            let gp = g.storage.pointer
            let xp = ad.storage.pointer
            for i in 0..<o.count { o[i] = 2 * gp[i] * xp[i] }
          }
        ]
      }
    }
    return record(v, op: "mul", inputs: [a, b]) { g in
      [
        a.requiresGrad ? try (g * bd).sumToShape(a.shape) : nil,
        b.requiresGrad ? try (g * ad).sumToShape(b.shape) : nil,
      ]
    }
  }

  public static prefix func - (a: Tensor) -> Tensor { a.negated() }

  /// `-self`, differentiable.
  public func negated() -> Tensor {
    let v = Tensor(shape: shape) { o in
      let x = storage.pointer
      for i in 0..<o.count { o[i] = -x[i] }
    }
    return Tensor.record(v, op: "neg", inputs: [self]) { g in [g.negated()] }
  }

  // Scalar conveniences: a Float is a rank-0 tensor that never requires grad.
  public static func + (a: Tensor, s: Float) throws -> Tensor { try a + Tensor(scalar: s) }
  public static func - (a: Tensor, s: Float) throws -> Tensor { try a - Tensor(scalar: s) }
  public static func * (a: Tensor, s: Float) throws -> Tensor { try a * Tensor(scalar: s) }
  public static func / (a: Tensor, s: Float) throws -> Tensor { try a / Tensor(scalar: s) }
  public static func + (s: Float, a: Tensor) throws -> Tensor { try Tensor(scalar: s) + a }
  public static func - (s: Float, a: Tensor) throws -> Tensor { try Tensor(scalar: s) - a }
  public static func * (s: Float, a: Tensor) throws -> Tensor { try Tensor(scalar: s) * a }
  public static func / (s: Float, a: Tensor) throws -> Tensor { try Tensor(scalar: s) / a }
}
