/// Index-driven ops: `indexSelect`, `gather`, `scatterAdd` (PyTorch semantics) and `oneHot`.
/// Indices may be negative (counting from the end, as in NumPy); anything outside
/// `-size..<size` throws `indexOutOfRange` naming the op.

extension Tensor {
  /// The slices `indices` of axis `axis`, in that order, repeats allowed (`torch.index_select`):
  /// `x.indexSelect(axis: 0, indices: [2, 0, 2])` picks rows 2, 0 and 2. The gradient adds each
  /// output slice back into the slice it came from.
  public func indexSelect(axis: Int, indices: [Int]) throws -> Tensor {
    let op = "indexSelect"
    let a = try gatherAxis(axis, rank: rank, op: op)
    let n = shape[a]
    let idx = try normalizedIndices(indices, bound: n, op: op)
    var outShape = shape
    outShape[a] = idx.count
    try Tensor.checkShape(outShape, op: op)
    let outer = shape[..<a].reduce(1, *)
    let inner = shape[(a + 1)...].reduce(1, *)
    let v = Tensor(shape: outShape) { o in
      let src = storage.pointer
      var d = o.baseAddress!
      for i in 0..<outer {
        let base = src + i * n * inner
        for k in idx {
          d.update(from: base + k * inner, count: inner)
          d += inner
        }
      }
    }
    let original = shape
    return Tensor.record(v, op: op, inputs: [self]) { g in
      let gi = Tensor(shape: original, zeroed: true)
      var s = UnsafePointer(g.storage.pointer)
      for i in 0..<outer {
        let base = gi.storage.pointer + i * n * inner
        for k in idx {
          let d = base + k * inner
          for j in 0..<inner { d[j] += s[j] }
          s += inner
        }
      }
      return [gi]
    }
  }

  /// `indexSelect(axis:indices:)` with the positions held in a tensor of whole numbers.
  public func indexSelect(axis: Int, indices: Tensor) throws -> Tensor {
    try indexSelect(axis: axis, indices: integerValues(of: indices, op: "indexSelect"))
  }

  /// PyTorch's `gather`: for a rank-3 input and `axis: 1`,
  /// `out[i][j][k] = self[i][indices[i][j][k]][k]`.
  ///
  /// `indices` has the same rank as `self` and is no larger than `self` along every other axis;
  /// the output has the shape of `indices`. Its values must be whole numbers. Typical use: the
  /// score of each sample's label, `scores.gather(axis: 1, indices: labels as [n, 1])`.
  /// The gradient scatter-adds the output gradient back (`scatterAdd`).
  public func gather(axis: Int, indices: Tensor) throws -> Tensor {
    try gather(axis: axis, indices: integerValues(of: indices, op: "gather"), shape: indices.shape)
  }

  /// `gather(axis:indices:)` with the index tensor given as row-major positions and its `shape`.
  public func gather(axis: Int, indices: [Int], shape indexShape: [Int]) throws -> Tensor {
    let op = "gather"
    let a = try gatherAxis(axis, rank: rank, op: op)
    try checkIndexShape(indexShape, count: indices.count, fits: shape, along: a, op: op)
    let idx = try normalizedIndices(indices, bound: shape[a], op: op)
    let dataStrides = Tensor.strides(of: shape)
    let v = Tensor(shape: indexShape) { o in
      let src = storage.pointer
      walkIndexed(
        shape: indexShape, axis: a, indices: idx, dataStrides: dataStrides,
        otherStrides: Tensor.strides(of: indexShape)
      ) { dataOff, outOff in o[outOff] = src[dataOff] }
    }
    let original = shape
    return Tensor.record(v, op: op, inputs: [self]) { g in
      let gi = Tensor(shape: original, zeroed: true)
      let d = gi.storage.pointer
      let s = g.storage.pointer
      walkIndexed(
        shape: indexShape, axis: a, indices: idx, dataStrides: dataStrides,
        otherStrides: Tensor.strides(of: indexShape)
      ) { dataOff, gOff in d[dataOff] += s[gOff] }
      return [gi]
    }
  }

  /// PyTorch's `scatter_add`, out of place: a copy of `self` where, for a rank-3 input and
  /// `axis: 1`, `out[i][indices[i][j][k]][k] += source[i][j][k]`.
  ///
  /// `indices` has the rank of `self`, is no larger than `source` along every axis and no larger
  /// than `self` along every axis but `axis`; only the part of `source` it covers is used.
  /// Differentiable in `self` (the gradient passes through) and in `source` (the gradient is
  /// gathered back; uncovered elements of `source` get zero).
  public func scatterAdd(axis: Int, indices: Tensor, source: Tensor) throws -> Tensor {
    try scatterAdd(
      axis: axis, indices: integerValues(of: indices, op: "scatterAdd"), shape: indices.shape, source: source)
  }

  /// `scatterAdd(axis:indices:source:)` with the index tensor given as row-major positions and
  /// its `shape`.
  public func scatterAdd(axis: Int, indices: [Int], shape indexShape: [Int], source: Tensor) throws -> Tensor {
    let op = "scatterAdd"
    let a = try gatherAxis(axis, rank: rank, op: op)
    try checkIndexShape(indexShape, count: indices.count, fits: shape, along: a, op: op)
    guard source.rank == indexShape.count, zip(indexShape, source.shape).allSatisfy({ $0 <= $1 }) else {
      throw TensorError.invalidArgument(
        op: op,
        reason:
          "index shape \(fmt(indexShape)) must have the rank of source \(fmt(source.shape)) and be no larger along any axis"
      )
    }
    let idx = try normalizedIndices(indices, bound: shape[a], op: op)
    let dataStrides = Tensor.strides(of: shape)
    let sourceStrides = Tensor.strides(of: source.shape)
    let v = Tensor(shape: shape) { o in
      o.baseAddress!.update(from: storage.pointer, count: count)
      let s = source.storage.pointer
      walkIndexed(
        shape: indexShape, axis: a, indices: idx, dataStrides: dataStrides,
        otherStrides: sourceStrides
      ) { dataOff, srcOff in o[dataOff] += s[srcOff] }
    }
    let sourceShape = source.shape
    let needSelf = requiresGrad
    let needSource = source.requiresGrad
    return Tensor.record(v, op: op, inputs: [self, source]) { g in
      var gs: Tensor? = nil
      if needSource {
        let t = Tensor(shape: sourceShape, zeroed: indexShape != sourceShape)
        let d = t.storage.pointer
        let s = g.storage.pointer
        walkIndexed(
          shape: indexShape, axis: a, indices: idx, dataStrides: dataStrides,
          otherStrides: sourceStrides
        ) { gOff, srcOff in d[srcOff] = s[gOff] }
        gs = t
      }
      return [needSelf ? g : nil, gs]
    }
  }

  /// Rows of `classCount` zeros with a one at each label: shape `[labels.count, classCount]`.
  /// Labels must lie in `0..<classCount`.
  public static func oneHot(_ labels: [Int], classCount: Int) throws -> Tensor {
    guard classCount > 0 else {
      throw TensorError.invalidArgument(op: "oneHot", reason: "classCount must be positive, got \(classCount)")
    }
    if let bad = labels.first(where: { $0 < 0 || $0 >= classCount }) {
      throw TensorError.indexOutOfRange(op: "oneHot", index: bad, bound: classCount)
    }
    try checkShape([labels.count, classCount], op: "oneHot")
    let t = Tensor(shape: [labels.count, classCount], zeroed: true)
    for (i, l) in labels.enumerated() { t.storage.pointer[i * classCount + l] = 1 }
    return t
  }
}

/// `axis` in `-rank..<rank` mapped to `0..<rank`; a rank-0 tensor has no axis to index.
private func gatherAxis(_ axis: Int, rank: Int, op: String) throws -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0 && a < rank else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
  return a
}

/// Indices mapped into `0..<bound`, negative ones counting from the end.
private func normalizedIndices(_ indices: [Int], bound: Int, op: String) throws -> [Int] {
  try indices.map { i in
    let k = i < 0 ? i + bound : i
    guard k >= 0 && k < bound else { throw TensorError.indexOutOfRange(op: op, index: i, bound: bound) }
    return k
  }
}

/// The values of an index tensor as integers; fractions, nan and infinities are refused.
private func integerValues(of t: Tensor, op: String) throws -> [Int] {
  try t.withUnsafeBufferPointer { b in
    try b.map { v in
      guard let i = Int(exactly: v) else {
        throw TensorError.invalidArgument(
          op: op, reason: "index tensor of shape \(fmt(t.shape)) holds \(v), not a whole number")
      }
      return i
    }
  }
}

/// PyTorch's rule for gather/scatter index shapes: same rank as the data, and no larger than the
/// data along every axis but `axis`.
private func checkIndexShape(_ indexShape: [Int], count: Int, fits data: [Int], along axis: Int, op: String) throws {
  guard indexShape.reduce(1, *) == count, indexShape.allSatisfy({ $0 >= 0 }) else {
    throw TensorError.invalidShape(
      op: op, shape: indexShape, reason: "index shape does not match the \(count) indices given")
  }
  guard indexShape.count == data.count,
    indexShape.indices.allSatisfy({ $0 == axis || indexShape[$0] <= data[$0] })
  else {
    throw TensorError.invalidArgument(
      op: op,
      reason:
        "index shape \(fmt(indexShape)) must have the rank of input \(fmt(data)) and be no larger except along axis \(axis)"
    )
  }
}

/// For every position `p` of an index tensor of `shape` (row-major, position `k`), calls
/// `body(dataOffset, otherOffset)`: the offset in the data tensor of `p` with its `axis`
/// coordinate replaced by `indices[k]`, and the offset of `p` itself in a tensor with `otherStrides`.
@inline(__always)
private func walkIndexed(
  shape: [Int], axis: Int, indices: [Int], dataStrides: [Int], otherStrides: [Int],
  _ body: (Int, Int) -> Void
) {
  let r = shape.count
  guard !shape.contains(0) else { return }
  var ds = dataStrides
  let axisStride = ds[axis]
  ds[axis] = 0
  var pos = [Int](repeating: 0, count: r)
  var dOff = 0
  var oOff = 0
  indices.withUnsafeBufferPointer { idx in
    let last = r - 1
    let len = shape[last]
    let dl = ds[last]
    let ol = otherStrides[last]
    var k = 0
    while true {
      for j in 0..<len { body(dOff + j * dl + idx[k + j] * axisStride, oOff + j * ol) }
      k += len
      var d = last - 1
      while d >= 0 {
        pos[d] += 1
        dOff += ds[d]
        oOff += otherStrides[d]
        if pos[d] < shape[d] { break }
        dOff -= ds[d] * pos[d]
        oOff -= otherStrides[d] * pos[d]
        pos[d] = 0
        d -= 1
      }
      if d < 0 { return }
    }
  }
}
