import Foundation

/// Elementwise math (exp, log, powers, activations, clamping, maximum/minimum) and its gradients.
/// Unary ops cannot fail and do not throw; binary ones throw when the shapes do not broadcast.
/// exp, log, sqrt, relu and maximum are primitives (GradientTable); tanh, sigmoid and pow are
/// fused kernels; square, abs, clamp and minimum are composites with no gradient code.
/// Gradients reuse the output where that is cheaper than recomputing (exp, sqrt, tanh, sigmoid).
/// exp, tanh and sigmoid use the vectorisable kernels of FastMath.swift.
/// NaN inputs propagate to the output (relu, clamp and maximum never hide a NaN).

extension Tensor {
  // MARK: unary

  /// e raised to each element.
  public func exp() -> Tensor {
    let y = elementwiseMap { FastMath.exp($0) }
    return Tensor.record(y, op: "exp", inputs: [self]) { g in [Tensor.sameShapeMap(g, y) { g, y in g * y }] }
  }

  /// The natural logarithm of each element (NaN below 0, -inf at 0, as in C).
  public func log() -> Tensor {
    let y = elementwiseMap { Foundation.log($0) }
    let x = detached()
    return Tensor.record(y, op: "log", inputs: [self]) { g in [Tensor.sameShapeMap(g, x) { g, x in g / x }] }
  }

  /// The square root of each element (NaN below 0).
  public func sqrt() -> Tensor {
    let y = elementwiseMap { $0.squareRoot() }
    return Tensor.record(y, op: "sqrt", inputs: [self]) { g in
      [Tensor.sameShapeMap(g, y) { g, y in 0.5 * g / y }]
    }
  }

  /// Each element raised to the power `p`. The common exponents (2, 1, 0.5, -1) use exact fast
  /// paths instead of `powf`.
  public func pow(_ p: Float) -> Tensor {
    let y: Tensor
    switch p {
    case 2: y = elementwiseMap { $0 * $0 }
    case 1: y = elementwiseMap { $0 }
    case 0.5: y = elementwiseMap { $0.squareRoot() }
    case -1: y = elementwiseMap { 1 / $0 }
    default: y = elementwiseMap { Foundation.pow($0, p) }
    }
    let x = detached()
    return Tensor.record(y, op: "pow", inputs: [self]) { g in
      switch p {
      case 0: return [Tensor.sameShapeMap(g, x) { _, _ in 0 }]
      case 1: return [g]
      case 2: return [Tensor.sameShapeMap(g, x) { g, x in 2 * g * x }]
      default:
        let q = p - 1
        return [Tensor.sameShapeMap(g, x) { g, x in g * p * Foundation.pow(x, q) }]
      }
    }
  }

  /// Each element squared: the composite `x * x` (its gradient is mul's, `2 g x`).
  public func square() -> Tensor {
    Tensor.recordProduct(elementwiseMap { $0 * $0 }, self, self).labelled("square", inputs: [self])
  }

  /// The absolute value of each element: the composite `relu(x) + relu(-x)`, exact, with the
  /// gradient 0 at 0.
  public func abs() -> Tensor {
    let positive = relu()
    let negative = negated().relu()
    let v = Tensor.sameShapeMap(positive, negative) { $0 + $1 }
    return Tensor.recordSum(v, positive, negative).labelled("abs", inputs: [self])
  }

  /// `max(x, 0)` elementwise. The gradient at 0 is 0. A NaN stays NaN, as in PyTorch, unless
  /// `nanToZero` (what the `ReLU` layer has always done: NaN and -0 give +0). One vectorised
  /// pass each way, spread over the engine's workers on large activations.
  public func relu(nanToZero: Bool = false) -> Tensor {
    let n = count
    let y = Tensor(shape: shape, zeroed: false)
    let (p, o) = (storage.pointer, y.storage.pointer)
    Parallel.forEachRange(n) { range in
      var i = range.lowerBound
      while i + 8 <= range.upperBound {
        let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
        let zero = nanToZero ? .!(v .> 0) : v .< 0
        UnsafeMutableRawPointer(o + i).storeBytes(of: v.replacing(with: 0, where: zero), as: SIMD8<Float>.self)
        i += 8
      }
      while i < range.upperBound {
        o[i] = nanToZero ? (p[i] > 0 ? p[i] : 0) : (p[i] < 0 ? 0 : p[i])
        i += 1
      }
    }
    return Tensor.record(y, op: "relu", inputs: [self]) { g in
      // y > 0 exactly where x > 0 (a NaN input gets no gradient either way)
      let out = Tensor(shape: g.shape, zeroed: false)
      let (gp, yp, op) = (g.storage.pointer, y.storage.pointer, out.storage.pointer)
      Parallel.forEachRange(n) { range in
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
          let v = UnsafeRawPointer(yp + i).loadUnaligned(as: SIMD8<Float>.self)
          let d = UnsafeRawPointer(gp + i).loadUnaligned(as: SIMD8<Float>.self)
          UnsafeMutableRawPointer(op + i).storeBytes(of: d.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
          i += 8
        }
        while i < range.upperBound {
          op[i] = yp[i] > 0 ? gp[i] : 0
          i += 1
        }
      }
      return [out]
    }
  }

  /// The hyperbolic tangent of each element.
  public func tanh() -> Tensor {
    let y = elementwiseMap { FastMath.tanh($0) }
    return Tensor.record(y, op: "tanh", inputs: [self]) { g in
      [Tensor.sameShapeMap(g, y) { g, y in g * (1 - y * y) }]
    }
  }

  /// The logistic function `1 / (1 + e^-x)` of each element, computed without overflow for
  /// large negative inputs.
  public func sigmoid() -> Tensor {
    let y = elementwiseMap { FastMath.sigmoid($0) }
    return Tensor.record(y, op: "sigmoid", inputs: [self]) { g in
      [Tensor.sameShapeMap(g, y) { g, y in g * y * (1 - y) }]
    }
  }

  /// Each element limited to `[min, max]`; a nil bound is open. As in NumPy, `max` wins when
  /// `min > max`. The gradient passes where the input lies inside the closed interval (and
  /// where it is NaN). The composite `where(a > max, max, a)` with `a = where(x < min, min, x)`.
  public func clamped(min lower: Float? = nil, max upper: Float? = nil) -> Tensor {
    var y = self
    if let lo = lower {
      let below = elementwiseMap { $0 < lo ? 1 : 0 }
      y = Tensor.recordWhere(elementwiseMap { $0 < lo ? lo : $0 }, below, Tensor(scalar: lo), y)
    }
    if let hi = upper {
      let above = y.elementwiseMap { $0 > hi ? 1 : 0 }
      y = Tensor.recordWhere(y.elementwiseMap { $0 > hi ? hi : $0 }, above, Tensor(scalar: hi), y)
    }
    // no bounds: a copy (x * 1, which keeps -0 and NaN) under the same name
    if lower == nil && upper == nil { y = Tensor.recordProduct(elementwiseMap { $0 }, self, Tensor(scalar: 1)) }
    return y.labelled("clamp", inputs: [self])
  }

  // MARK: binary

  /// The elementwise larger of `a` and `b`, broadcasting. Where they are equal the gradient is
  /// split evenly between the two (as in PyTorch); a NaN on either side gives NaN.
  public static func maximum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    try extremum(a, b, op: "maximum")
  }

  /// The elementwise smaller of `a` and `b`, broadcasting. Ties split the gradient evenly.
  /// The composite `-maximum(-a, -b)`, which selects the same elements.
  public static func minimum(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    // the shapes are checked first, so that a mismatch is reported as "minimum"
    _ = try broadcastShape(a.shape, b.shape, op: "minimum")
    return try maximum(a.negated(), b.negated()).negated().labelled("minimum", inputs: [a, b])
  }

  private static func extremum(_ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
    let v = try broadcastMap(a, b, op: op) { x, y in x > y || x.isNaN ? x : y }
    let ad = a.detached()
    let bd = b.detached()
    return record(v, op: op, inputs: [a, b]) { g in
      // the share of the gradient that goes to `a`: 1 where a wins, 1/2 on ties, 0 where b wins
      let share = try broadcastMap(ad, bd, op: op) { x, y in x > y ? 1 : (x == y ? 0.5 : 0) }
      let ga = a.requiresGrad ? try sameShapeMap(g, share) { g, s in g * s }.sumToShape(a.shape) : nil
      let gb = b.requiresGrad ? try sameShapeMap(g, share) { g, s in g * (1 - s) }.sumToShape(b.shape) : nil
      return [ga, gb]
    }
  }

  // MARK: kernels

  // The loops run here rather than in a `Tensor(shape:filling:)` closure: inlined into each op,
  // `f` is a literal closure the optimiser inlines and vectorises; called from inside another
  // closure it stays an indirect call per element (about 10x slower in the -O debug build).

  /// `f` of every element into a fresh tensor of the same shape.
  @inline(__always)
  fileprivate func elementwiseMap(_ f: (Float) -> Float) -> Tensor {
    let out = Tensor(shape: shape, zeroed: false)
    let x = storage.pointer
    let o = out.storage.pointer
    for i in 0..<count { o[i] = f(x[i]) }
    return out
  }

  /// `f(a[i], b[i])` for two tensors of the same element count (two operands of one shape, or an
  /// output gradient and a saved input or output), into a fresh tensor of `a`'s shape.
  @inline(__always)
  static func sameShapeMap(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
    precondition(a.count == b.count, "operands differ in size")
    let out = Tensor(shape: a.shape, zeroed: false)
    let ap = a.storage.pointer
    let bp = b.storage.pointer
    let o = out.storage.pointer
    for i in 0..<a.count { o[i] = f(ap[i], bp[i]) }
    return out
  }
}
