/// Elementwise comparisons, which give masks (1 where true, 0 where false) that carry no
/// gradient, and `where`, which selects between two tensors and is differentiable in both (a
/// primitive of GradientTable: clamp is made of it).
/// All of them broadcast. Comparisons with NaN are false, except `notEqual`, which is true.

extension Tensor {
  /// 1 where `a == b`, else 0.
  public static func equal(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "equal") { $0 == $1 ? 1 : 0 }
  }

  /// 1 where `a != b`, else 0.
  public static func notEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "notEqual") { $0 != $1 ? 1 : 0 }
  }

  /// 1 where `a > b`, else 0.
  public static func greater(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "greater") { $0 > $1 ? 1 : 0 }
  }

  /// 1 where `a >= b`, else 0.
  public static func greaterEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "greaterEqual") { $0 >= $1 ? 1 : 0 }
  }

  /// 1 where `a < b`, else 0.
  public static func less(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "less") { $0 < $1 ? 1 : 0 }
  }

  /// 1 where `a <= b`, else 0.
  public static func lessEqual(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try broadcastMap(a, b, op: "lessEqual") { $0 <= $1 ? 1 : 0 }
  }

  /// `a` where `condition` is non-zero, else `b`; the three shapes broadcast together.
  /// The gradient goes to `a` where the condition holds and to `b` elsewhere; the condition
  /// gets none.
  public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
    let op = "where"
    let ab = try broadcastShape(a.shape, b.shape, op: op)
    let outShape: [Int]
    do {
      outShape = try broadcastShape(condition.shape, ab, op: op)
    } catch {
      throw TensorError.shapeMismatch(op: op + " (condition against values)", lhs: condition.shape, rhs: ab)
    }
    return recordWhere(select(condition, a, b, shape: outShape), condition, a, b)
  }

  /// The where primitive's node for `v`, the selection already computed.
  static func recordWhere(_ v: Tensor, _ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    let c = condition.detached()
    return record(v, op: "where", inputs: [a, b]) { g in
      let zero = Tensor(scalar: 0)
      return [
        a.requiresGrad ? try select(c, g, zero, shape: g.shape).sumToShape(a.shape) : nil,
        b.requiresGrad ? try select(c, zero, g, shape: g.shape).sumToShape(b.shape) : nil,
      ]
    }
  }

  /// The selection kernel of `where` for operands already known to broadcast to `shape`.
  /// Equal shapes run a flat loop; otherwise an odometer walks the outer axes and the innermost
  /// axis runs with each operand's own stride (0 where it is broadcast).
  private static func select(_ c: Tensor, _ a: Tensor, _ b: Tensor, shape: [Int]) -> Tensor {
    let cp = c.storage.pointer
    let ap = a.storage.pointer
    let bp = b.storage.pointer
    if c.shape == shape && a.shape == shape && b.shape == shape {
      return Tensor(shape: shape) { o in for i in 0..<o.count { o[i] = cp[i] != 0 ? ap[i] : bp[i] } }
    }
    let sc = broadcastStrides(c.shape, in: shape)
    let sa = broadcastStrides(a.shape, in: shape)
    let sb = broadcastStrides(b.shape, in: shape)
    let r = shape.count
    return Tensor(shape: shape) { o in
      guard o.count > 0 else { return }
      if r == 0 {
        o[0] = cp[0] != 0 ? ap[0] : bp[0]
        return
      }
      let inner = shape[r - 1]
      let ic = sc[r - 1]
      let ia = sa[r - 1]
      let ib = sb[r - 1]
      var idx = [Int](repeating: 0, count: r)
      var offC = 0
      var offA = 0
      var offB = 0
      var out = 0
      while out < o.count {
        for j in 0..<inner { o[out + j] = cp[offC + j * ic] != 0 ? ap[offA + j * ia] : bp[offB + j * ib] }
        out += inner
        var d = r - 2
        while d >= 0 {
          idx[d] += 1
          offC += sc[d]
          offA += sa[d]
          offB += sb[d]
          if idx[d] < shape[d] { break }
          offC -= sc[d] * idx[d]
          offA -= sa[d] * idx[d]
          offB -= sb[d] * idx[d]
          idx[d] = 0
          d -= 1
        }
      }
    }
  }
}
