import Foundation

/// Reductions (sum, mean, max, min, argmax, argmin, logsumexp, variance) and their gradients.
/// sum and max are primitives (GradientTable) and logsumexp a fused kernel; mean (`sum * (1/n)`),
/// min (`-max(-x)`) and variance (`sum((x - mean)^2) * (1/divisor)`) are composites, which give
/// the same values as the kernels they replaced.
///
/// Every reduction first folds the input shape into the fewest axes that matter: size-1 axes are
/// dropped and neighbouring axes of the same kind (kept or reduced) are merged. One run of
/// reduced axes is then a `[outer, reduce, inner]` block: `inner == 1` is the per-row case
/// (contiguous runs, summed with several Double accumulators) and `outer == 1` the per-column
/// case (whole rows folded into an output row, a loop the compiler vectorises). Several separate
/// runs are reduced one block at a time, innermost first.
///
/// Axes may be negative (counted from the end); nil means all axes and gives a rank-0 result.
/// Repeated or out-of-range axes throw.

/// How a reduction walks its input.
private struct ReductionPlan {
  let inputShape: [Int]
  /// The reduced axes with size 1 (the shape the gradient is expanded from).
  let keptShape: [Int]
  /// The result shape: `keptShape`, or without the reduced axes.
  let outShape: [Int]
  /// Elements folded into each output element.
  let reducedCount: Int
  /// The input shape with size-1 axes dropped and same-kind neighbours merged.
  let groups: [(size: Int, reduced: Bool)]
  /// The `[outer, reduce, inner]` form when at most one group is reduced.
  let block: (outer: Int, reduce: Int, inner: Int)?

  init(shape: [Int], axes requested: [Int]?, keepDims: Bool, op: String) throws {
    let rank = shape.count
    var isReduced = [Bool](repeating: requested == nil, count: rank)
    for a in requested ?? [] {
      let k = a < 0 ? a + rank : a
      guard k >= 0 && k < rank else { throw TensorError.invalidAxis(op: op, axis: a, rank: rank) }
      guard !isReduced[k] else {
        throw TensorError.invalidArgument(op: op, reason: "axis \(a) is listed twice in \(fmt(requested ?? []))")
      }
      isReduced[k] = true
    }
    inputShape = shape
    keptShape = (0..<rank).map { isReduced[$0] ? 1 : shape[$0] }
    outShape = keepDims ? keptShape : (0..<rank).filter { !isReduced[$0] }.map { shape[$0] }
    reducedCount = (0..<rank).filter { isReduced[$0] }.reduce(1) { $0 * shape[$1] }
    var g: [(size: Int, reduced: Bool)] = []
    for i in 0..<rank where shape[i] != 1 {
      if let last = g.last, last.reduced == isReduced[i] {
        g[g.count - 1].size = last.size * shape[i]
      } else {
        g.append((shape[i], isReduced[i]))
      }
    }
    groups = g
    let runs = g.indices.filter { g[$0].reduced }
    switch runs.count {
    case 0: block = (g.reduce(1) { $0 * $1.size }, 1, 1)
    case 1:
      let r = runs[0]
      block = (g[..<r].reduce(1) { $0 * $1.size }, g[r].size, g[(r + 1)...].reduce(1) { $0 * $1.size })
    default: block = nil
    }
  }
}

private enum ReductionKind { case sum, max }

extension Tensor {
  // MARK: sum, mean, max, min

  /// The sum over `axes` (all axes when nil).
  public func sum(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: "sum")
    let v = reducedValues(plan, .sum)
    let x = detached()
    return Tensor.record(v, op: "sum", inputs: [self]) { g in [try x.expandedGradient(g, plan, scale: 1)] }
  }

  /// The mean over `axes` (all axes when nil); NaN over an empty axis. The composite
  /// `sum * (1 / n)`.
  public func mean(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: "mean")
    let total = try sum(axes: axes, keepDims: keepDims)
    return try (total * Tensor(scalar: 1 / Float(plan.reducedCount))).labelled("mean", inputs: [self])
  }

  /// The largest value over `axes` (all axes when nil). A NaN in a slice makes its result NaN.
  /// The gradient is split evenly among the elements that equal the maximum (as `torch.amax`
  /// does), so ties get a symmetric subgradient instead of an arbitrary winner.
  public func max(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let op = "max"
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: op)
    try Tensor.requireNonEmpty(plan, op: op)
    let v = reducedValues(plan, .max)
    let x = detached()
    return Tensor.record(v, op: op, inputs: [self]) { g in
      // each element equal to its slice's maximum gets g / (number of such elements)
      let counts = try x.combined(plan, v, v) { x, m, _ in x == m ? 1 : 0 }.reducedValues(plan, .sum)
      let gp = g.storage.pointer
      let cp = counts.storage.pointer
      for i in 0..<counts.count { cp[i] = cp[i] > 0 ? gp[i] / cp[i] : 0 }
      return [try x.combined(plan, v, counts) { x, m, share in x == m ? share : 0 }]
    }
  }

  /// The smallest value over `axes` (all axes when nil); ties split the gradient evenly. The
  /// composite `-max(-x)`, which selects the same elements.
  public func min(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    // checked first, so that errors name "min"
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: "min")
    try Tensor.requireNonEmpty(plan, op: "min")
    return try negated().max(axes: axes, keepDims: keepDims).negated().labelled("min", inputs: [self])
  }

  // MARK: argmax, argmin

  /// The position of the largest value along `axis` for every other position, in row-major
  /// order of the remaining axes (so a `[n, k]` tensor gives `n` indices for `axis: 1`). The
  /// first of equal values wins; a NaN counts as the largest, as in NumPy.
  public func argmax(axis: Int) throws -> [Int] { try argExtremum(axis: axis, larger: true, op: "argmax") }

  /// The position of the smallest value along `axis`; see `argmax(axis:)`.
  public func argmin(axis: Int) throws -> [Int] { try argExtremum(axis: axis, larger: false, op: "argmin") }

  /// `argmax(axis:)` as a Float tensor of the remaining shape (with the axis as size 1 when
  /// `keepDims`), for use inside tensor expressions.
  public func argmaxTensor(axis: Int, keepDims: Bool = false) throws -> Tensor {
    let plan = try ReductionPlan(shape: shape, axes: [axis], keepDims: keepDims, op: "argmax")
    let idx = try argExtremum(axis: axis, larger: true, op: "argmax")
    return Tensor(shape: plan.outShape) { o in for i in 0..<o.count { o[i] = Float(idx[i]) } }
  }

  private func argExtremum(axis: Int, larger: Bool, op: String) throws -> [Int] {
    let (outer, reduce, inner) = try axisBlock(axis, op: op)
    guard reduce > 0 || outer * inner == 0 else {
      throw TensorError.invalidArgument(op: op, reason: "axis \(axis) of shape \(fmt(shape)) is empty")
    }
    let x = storage.pointer
    var result = [Int](repeating: 0, count: outer * inner)
    guard reduce > 1 else { return result }
    // `!(v <= best)` (or `>=` for the minimum) holds where v wins or is NaN; the scan stops at
    // the first NaN, which is the answer, so the loop needs no separate NaN test
    result.withUnsafeMutableBufferPointer { res in
      if inner == 1 {
        for o in 0..<outer {
          let row = x + o * reduce
          var best = row[0]
          var at = 0
          if !best.isNaN {
            if larger {
              for r in 1..<reduce where !(row[r] <= best) {
                best = row[r]
                at = r
                if best.isNaN { break }
              }
            } else {
              for r in 1..<reduce where !(row[r] >= best) {
                best = row[r]
                at = r
                if best.isNaN { break }
              }
            }
          }
          res[o] = at
        }
        return
      }
      guard let resultBase = res.baseAddress else { return }
      let best = UnsafeMutablePointer<Float>.allocate(capacity: inner)
      defer { best.deallocate() }
      for o in 0..<outer {
        let base = x + o * reduce * inner
        let at = resultBase + o * inner
        best.update(from: base, count: inner)
        for r in 1..<reduce {
          let row = base + r * inner
          for j in 0..<inner where !best[j].isNaN && (larger ? !(row[j] <= best[j]) : !(row[j] >= best[j])) {
            best[j] = row[j]
            at[j] = r
          }
        }
      }
    }
    return result
  }

  // MARK: logsumexp, variance

  /// `log(sum(exp(x)))` over `axes`, computed as `m + log(sum(exp(x - m)))` with `m` the maximum,
  /// so large inputs do not overflow. A slice of only -inf gives -inf. The gradient is the
  /// softmax of the input over the same axes.
  public func logsumexp(axes: [Int]? = nil, keepDims: Bool = false) throws -> Tensor {
    let op = "logsumexp"
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: op)
    try Tensor.requireNonEmpty(plan, op: op)
    let x = detached()
    let v: Tensor
    if let b = plan.block, b.inner == 1 {
      // per-row: one pass for the maximum, one for the shifted exponentials
      let xp = storage.pointer
      let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(b.reduce, 1))
      defer { scratch.deallocate() }
      v = Tensor(shape: plan.outShape) { o in
        for i in 0..<b.outer {
          let row = xp + i * b.reduce
          var m = row[0]
          for r in 1..<b.reduce { m = Tensor.larger(m, row[r]) }
          let shift = m.isFinite ? m : 0
          // exponentials first (a loop that vectorises), then an accurate sum
          for r in 0..<b.reduce { scratch[r] = FastMath.exp(row[r] - shift) }
          o[i] = shift + Foundation.log(Tensor.rowSum(scratch, b.reduce))
        }
      }
    } else {
      let m = reducedValues(plan, .max)
      let mp = m.storage.pointer
      for i in 0..<m.count where !mp[i].isFinite { mp[i] = 0 }
      v = try combined(plan, m, m) { x, m, _ in FastMath.exp(x - m) }.reducedValues(plan, .sum)
      let vp = v.storage.pointer
      for i in 0..<v.count { vp[i] = mp[i] + Foundation.log(vp[i]) }
    }
    return Tensor.record(v, op: op, inputs: [self]) { g in
      // d/dx = g * exp(x - lse); a non-finite lse has no meaningful softmax, so it gets 0
      guard let b = plan.block, b.inner == 1 else {
        return [try x.combined(plan, g, v) { x, g, l in l.isFinite ? g * FastMath.exp(x - l) : 0 }]
      }
      // per row, with the test on lse outside the loop, which then vectorises (same values)
      let xp = x.storage.pointer
      let gp = g.storage.pointer
      let lp = v.storage.pointer
      return [
        Tensor(shape: x.shape) { o in
          for i in 0..<b.outer {
            let l = lp[i]
            let gi = gp[i]
            let row = xp + i * b.reduce
            let out = o.baseAddress! + i * b.reduce
            if l.isFinite {
              for r in 0..<b.reduce { out[r] = gi * FastMath.exp(row[r] - l) }
            } else {
              out.update(repeating: 0, count: b.reduce)
            }
          }
        }
      ]
    }
  }

  /// The variance over `axes`, two-pass (mean first, then squared deviations) for accuracy.
  /// Divides by `n - 1` when `unbiased`, else by `n`; throws when that count is not positive.
  /// The composite `sum((x - mean(x))^2) * (1 / divisor)`.
  public func variance(axes: [Int]? = nil, keepDims: Bool = false, unbiased: Bool = false) throws -> Tensor {
    let op = "variance"
    let plan = try ReductionPlan(shape: shape, axes: axes, keepDims: keepDims, op: op)
    let n = plan.reducedCount
    let divisor = unbiased ? n - 1 : n
    let outCount = plan.outShape.reduce(1, *)
    guard divisor > 0 || outCount == 0 else {
      throw TensorError.invalidArgument(
        op: op,
        reason: "\(unbiased ? "unbiased " : "")variance over \(n) element(s) "
          + "per result (shape \(fmt(shape)), axes \(axes.map(fmt) ?? "all")) divides by \(divisor)")
    }
    let deviations = try self - mean(axes: axes, keepDims: true)
    let squares = try (deviations * deviations).sum(axes: axes, keepDims: keepDims)
    return try (squares * Tensor(scalar: 1 / Float(divisor))).labelled(op, inputs: [self])
  }

  // MARK: kernels

  /// NaN-propagating maximum of two values.
  @inline(__always) fileprivate static func larger(_ a: Float, _ b: Float) -> Float { b > a || b.isNaN ? b : a }

  /// Splits the shape at `axis` into `[outer, reduce, inner]` (negative axes count from the end).
  fileprivate func axisBlock(_ axis: Int, op: String) throws -> (outer: Int, reduce: Int, inner: Int) {
    let k = axis < 0 ? axis + rank : axis
    guard k >= 0 && k < rank else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
    return (shape[..<k].reduce(1, *), shape[k], shape[(k + 1)...].reduce(1, *))
  }

  private static func requireNonEmpty(_ plan: ReductionPlan, op: String) throws {
    if plan.reducedCount == 0 && plan.outShape.reduce(1, *) > 0 {
      throw TensorError.invalidArgument(
        op: op, reason: "cannot reduce over an empty axis of shape \(fmt(plan.inputShape))")
    }
  }

  /// The reduction's values, shaped `plan.outShape`, in fresh storage.
  private func reducedValues(_ plan: ReductionPlan, _ kind: ReductionKind) -> Tensor {
    if let b = plan.block {
      let out = TensorStorage(count: b.outer * b.inner, zeroed: false)
      Tensor.reduceBlock(storage.pointer, out.pointer, b.outer, b.reduce, b.inner, kind)
      return Tensor(shape: plan.outShape, storage: out)
    }
    // separate runs of reduced axes: fold one run at a time, innermost first
    var sizes = plan.groups.map(\.size)
    var current = storage
    for r in plan.groups.indices.reversed() where plan.groups[r].reduced {
      let outer = sizes[..<r].reduce(1, *)
      let inner = sizes[(r + 1)...].reduce(1, *)
      let next = TensorStorage(count: outer * inner, zeroed: false)
      Tensor.reduceBlock(current.pointer, next.pointer, outer, sizes[r], inner, kind)
      sizes[r] = 1
      current = next
    }
    return Tensor(shape: plan.outShape, storage: current)
  }

  private static func reduceBlock(
    _ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
    _ outer: Int, _ reduce: Int, _ inner: Int, _ kind: ReductionKind
  ) {
    switch kind {
    case .sum:
      if inner == 1 {
        for o in 0..<outer { dst[o] = rowSum(src + o * reduce, reduce) }
      } else {
        foldRows(src, dst, outer, reduce, inner, empty: 0) { $0 + $1 }
      }
    case .max: foldRows(src, dst, outer, reduce, inner, empty: -.infinity) { larger($0, $1) }
    }
  }

  /// The sum of `n` contiguous floats with four Double accumulators (accurate, and independent
  /// chains so the adds overlap).
  @inline(__always)
  private static func rowSum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float {
    var s0 = 0.0
    var s1 = 0.0
    var s2 = 0.0
    var s3 = 0.0
    var r = 0
    while r + 4 <= n {
      s0 += Double(p[r])
      s1 += Double(p[r + 1])
      s2 += Double(p[r + 2])
      s3 += Double(p[r + 3])
      r += 4
    }
    while r < n {
      s0 += Double(p[r])
      r += 1
    }
    return Float((s0 + s1) + (s2 + s3))
  }

  /// Folds `[outer, reduce, inner]` into `[outer, inner]` with `f`. With `inner == 1` each
  /// output is a scan over a contiguous run; otherwise whole rows of `inner` values are folded
  /// into the output row, which vectorises.
  @inline(__always)
  private static func foldRows(
    _ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
    _ outer: Int, _ reduce: Int, _ inner: Int, empty: Float,
    _ f: (Float, Float) -> Float
  ) {
    guard reduce > 0 else {
      dst.update(repeating: empty, count: outer * inner)
      return
    }
    if inner == 1 {
      for o in 0..<outer {
        let row = src + o * reduce
        var acc = row[0]
        for r in 1..<reduce { acc = f(acc, row[r]) }
        dst[o] = acc
      }
      return
    }
    for o in 0..<outer {
      let base = src + o * reduce * inner
      let out = dst + o * inner
      out.update(from: base, count: inner)
      for r in 1..<reduce {
        let row = base + r * inner
        for j in 0..<inner { out[j] = f(out[j], row[j]) }
      }
    }
  }

  /// `f(x, a, b)` for every input element, where `a` and `b` are shaped like the reduction's
  /// result and read at the element's slice: the shape of every reduction's backward pass (and
  /// of the deviations variance needs). The block layout runs as nested loops with no expanded
  /// copies of `a` and `b`; separate runs of reduced axes expand them first.
  @inline(__always)
  fileprivate func combined(
    _ plan: ReductionPlan, _ a: Tensor, _ b: Tensor,
    _ f: (Float, Float, Float) -> Float
  ) throws -> Tensor {
    let out = Tensor(shape: shape, zeroed: false)
    let xp = storage.pointer
    let o = out.storage.pointer
    guard let blk = plan.block else {
      let ae = try expandedGradient(a, plan, scale: 1)
      let be = try expandedGradient(b, plan, scale: 1)
      let ap = ae.storage.pointer
      let bp = be.storage.pointer
      for i in 0..<count { o[i] = f(xp[i], ap[i], bp[i]) }
      return out
    }
    let ap = a.storage.pointer
    let bp = b.storage.pointer
    if blk.inner == 1 {
      for i in 0..<blk.outer {
        let av = ap[i]
        let bv = bp[i]
        let base = i * blk.reduce
        for r in 0..<blk.reduce { o[base + r] = f(xp[base + r], av, bv) }
      }
    } else {
      for i in 0..<blk.outer {
        let ar = ap + i * blk.inner
        let br = bp + i * blk.inner
        for r in 0..<blk.reduce {
          let base = (i * blk.reduce + r) * blk.inner
          for j in 0..<blk.inner { o[base + j] = f(xp[base + j], ar[j], br[j]) }
        }
      }
    }
    return out
  }

  /// Spreads `g` (shaped like the reduction's result) back over the input shape, times `scale`:
  /// the gradient of a sum, and the broadcast every other reduction gradient needs.
  fileprivate func expandedGradient(_ g: Tensor, _ plan: ReductionPlan, scale: Float) throws -> Tensor {
    let gp = g.storage.pointer
    guard let b = plan.block else {
      let kept = Tensor(shape: plan.keptShape, storage: g.storage)
      return try Tensor.broadcastMap(kept, self, op: "reduce backward") { v, _ in v * scale }
    }
    return Tensor(shape: plan.inputShape) { o in
      if b.inner == 1 {
        for i in 0..<b.outer {
          let v = gp[i] * scale
          let base = i * b.reduce
          for r in 0..<b.reduce { o[base + r] = v }
        }
      } else {
        for i in 0..<b.outer {
          let src = gp + i * b.inner
          for r in 0..<b.reduce {
            let base = (i * b.reduce + r) * b.inner
            for j in 0..<b.inner { o[base + j] = src[j] * scale }
          }
        }
      }
    }
  }
}

extension Tensor {
  /// `sum_i (self_i - other_i)^2` over the elements both hold, accumulated in Double one element
  /// at a time (a distortion or an objective to report, not a differentiable op): the one
  /// squared-error sum that the quantizers' objectives, their tests and the benchmarks share.
  public func sumSquaredDifference(_ other: Tensor) -> Double {
    withUnsafeBufferPointer { x in
      other.withUnsafeBufferPointer { y in
        var s = 0.0
        for i in 0..<Swift.min(x.count, y.count) {
          let t = Double(x[i]) - Double(y[i])
          s += t * t
        }
        return s
      }
    }
  }
}
