/// Basic indexing with Python semantics: `t[0, 1:3]`, `t[:, ::-1]`, `t[-1]`, and assignment into
/// such a region. This is what the script language's subscripts call.

/// One entry of an indexing spec: what to take along one axis.
public enum TensorIndex: Equatable, Sendable {
  /// One position; the axis is dropped. Negative positions count from the end.
  case index(Int)
  /// Python's `start:end:step`. Nil bounds default to the whole axis in the direction of
  /// `step`; negative bounds count from the end; out-of-range bounds are clipped; `step` is
  /// non-zero and may be negative.
  case range(start: Int?, end: Int?, step: Int)
  /// The whole axis (Python's `:`).
  case all

  /// `start..<end` with step 1.
  public static func range(_ r: Range<Int>) -> TensorIndex { .range(start: r.lowerBound, end: r.upperBound, step: 1) }
}

extension TensorIndex: ExpressibleByIntegerLiteral {
  /// Lets a spec mix plain positions with ranges: `t.sliced([0, .all])`.
  public init(integerLiteral value: Int) { self = .index(value) }
}

extension TensorIndex: CustomStringConvertible {
  /// Python notation: `3`, `1:4`, `::-1`, `:`.
  public var description: String {
    switch self {
    case .index(let i): return "\(i)"
    case .all: return ":"
    case .range(let start, let end, let step):
      let s = start.map(String.init) ?? ""
      let e = end.map(String.init) ?? ""
      return step == 1 ? "\(s):\(e)" : "\(s):\(e):\(step)"
    }
  }
}

extension Tensor {
  /// The region selected by `spec`, one entry per leading axis (missing trailing axes are taken
  /// whole), as a new contiguous tensor (a spec that selects everything returns `self`).
  /// `.index` entries drop their axis. Differentiable: the gradient is the output gradient
  /// written back into zeros of the input's shape.
  public func sliced(_ spec: [TensorIndex]) throws -> Tensor {
    let view = try SliceView(shape: shape, spec: spec, op: "slice")
    if view.isIdentity { return self }
    let v = Tensor(shape: view.shape) { o in
      StridedCopy.copy(
        shape: view.shape, from: storage.pointer, srcOffset: view.offset, srcStrides: view.strides,
        to: o.baseAddress!, dstStrides: Tensor.strides(of: view.shape))
    }
    let original = shape
    return Tensor.record(v, op: "slice", inputs: [self]) { g in
      let gi = Tensor(shape: original, zeroed: true)
      StridedCopy.copy(
        shape: view.shape, from: g.storage.pointer, srcStrides: Tensor.strides(of: view.shape),
        to: gi.storage.pointer, dstOffset: view.offset, dstStrides: view.strides)
      return [gi]
    }
  }

  /// `try t[0, .range(1..<3)]`, the same as `t.sliced([0, .range(1..<3)])`.
  public subscript(_ spec: TensorIndex...) -> Tensor {
    get throws { try sliced(spec) }
  }

  /// Positions `range` of axis `axis` (negative axis counts from the end); the rank is kept.
  public func slice(axis: Int, range: Range<Int>) throws -> Tensor {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < rank else { throw TensorError.invalidAxis(op: "slice", axis: axis, rank: rank) }
    guard range.lowerBound >= 0 && range.upperBound <= shape[a] else {
      throw TensorError.invalidArgument(
        op: "slice",
        reason: "range \(range.lowerBound)..<\(range.upperBound) is outside axis \(axis) of shape \(fmt(shape))")
    }
    return try sliced([TensorIndex](repeating: .all, count: a) + [.range(range)])
  }

  /// Rows `range` of the leading axis (a batch of samples, a block of codewords).
  public func rows(_ range: Range<Int>) throws -> Tensor { try slice(axis: 0, range: range) }

  /// Writes `value`, broadcast to the region's shape, into the region selected by `spec`
  /// (Python's `t[0, 1:3] = value`).
  ///
  /// Not differentiable: the write is in place, so a tensor that was the result of an op is
  /// detached from its graph (its recorded value would no longer be the one it holds) and
  /// `value`'s graph is not connected. A leaf keeps its node. Storage shared with other tensors
  /// is copied first, so no other tensor changes.
  public mutating func assign(_ value: Tensor, at spec: [TensorIndex]) throws {
    let view = try SliceView(shape: shape, spec: spec, op: "assign")
    // the value must broadcast to the region without growing it (NumPy's rule for `t[...] = v`)
    guard let b = try? Tensor.broadcastShape(view.shape, value.shape, op: "assign"), b == view.shape else {
      throw TensorError.shapeMismatch(op: "assign", lhs: view.shape, rhs: value.shape)
    }
    let srcStrides = Tensor.broadcastStrides(value.shape, in: view.shape)
    // keeps `value` alive: when it shares our storage, the copy-on-write below gives us a fresh buffer
    let source = value
    withUnsafeMutableBufferPointer { d in
      StridedCopy.copy(
        shape: view.shape, from: source.storage.pointer, srcStrides: srcStrides,
        to: d.baseAddress!, dstOffset: view.offset, dstStrides: view.strides)
    }
  }

  /// Writes one number into every element of the region selected by `spec` (not differentiable;
  /// see `assign(_:at:)`).
  public mutating func assign(_ value: Float, at spec: [TensorIndex]) throws {
    try assign(Tensor(scalar: value), at: spec)
  }
}

/// Where a spec's region lies in a contiguous tensor: start offset, shape and strides of the
/// (possibly reversed, possibly stepping) region.
private struct SliceView {
  var offset = 0
  var shape: [Int] = []
  var strides: [Int] = []
  var isIdentity = true

  init(shape input: [Int], spec: [TensorIndex], op: String) throws {
    guard spec.count <= input.count else {
      throw TensorError.invalidArgument(
        op: op,
        reason: "\(spec.count) indices for a tensor of shape \(fmt(input)) (rank \(input.count))")
    }
    let inStrides = Tensor.strides(of: input)
    for (axis, n) in input.enumerated() {
      let entry = axis < spec.count ? spec[axis] : .all
      switch entry {
      case .all:
        shape.append(n)
        strides.append(inStrides[axis])
      case .index(let i):
        let k = i < 0 ? i + n : i
        guard k >= 0 && k < n else { throw TensorError.indexOutOfRange(op: op, index: i, bound: n) }
        offset += k * inStrides[axis]
        isIdentity = false
      case .range(let start, let end, let step):
        guard step != 0 else {
          throw TensorError.invalidArgument(
            op: op, reason: "slice step cannot be zero (axis \(axis) of shape \(fmt(input)))")
        }
        let (first, count) = pythonSlice(start: start, end: end, step: step, length: n)
        if count > 0 { offset += first * inStrides[axis] }
        shape.append(count)
        strides.append(step * inStrides[axis])
        if count != n || step != 1 { isIdentity = false }
      }
    }
  }
}

/// Python's `slice(start, end, step).indices(length)`: the first position and the element count.
private func pythonSlice(start: Int?, end: Int?, step: Int, length n: Int) -> (first: Int, count: Int) {
  func clip(_ v: Int?, _ default: Int, low: Int, high: Int) -> Int {
    guard var v else { return `default` }
    if v < 0 { v += n }
    return Swift.min(Swift.max(v, low), high)
  }
  if step > 0 {
    let s = clip(start, 0, low: 0, high: n)
    let e = clip(end, n, low: 0, high: n)
    return (s, e > s ? (e - s + step - 1) / step : 0)
  } else {
    let s = clip(start, n - 1, low: -1, high: n - 1)
    let e = clip(end, -1, low: -1, high: n - 1)
    return (s, s > e ? (s - e - step - 1) / -step : 0)
  }
}
