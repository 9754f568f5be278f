/// Shape ops: transpose, permute, squeeze, unsqueeze, flatten and expand, each with its gradient.
/// Ops that only relabel the shape share storage; permute and expand materialise through
/// `StridedCopy`, since storage is always contiguous.

extension Tensor {
  /// The matrix transpose of a rank-2 tensor (a rank-0 or rank-1 tensor is returned unchanged,
  /// as `torch.Tensor.t()` does). Materialised with a blocked copy; for matrix products pass
  /// `transposeA:`/`transposeB:` to `matmul` instead, which never copies.
  public func transposed() throws -> Tensor {
    guard rank <= 2 else {
      throw TensorError.invalidArgument(
        op: "transpose",
        reason: "transposed() needs rank 2, got shape \(fmt(shape)); use permuted(_:) or transposed(_:_:)")
    }
    return rank < 2 ? self : try permuted([1, 0])
  }

  /// Swaps two axes (negative axes count from the end), like `torch.transpose(x, a, b)`.
  public func transposed(_ axis0: Int, _ axis1: Int) throws -> Tensor {
    let a = try normalizedAxis(axis0, rank: rank, op: "transpose")
    let b = try normalizedAxis(axis1, rank: rank, op: "transpose")
    var order = Array(0..<rank)
    order.swapAt(a, b)
    return try permuted(order)
  }

  /// Reorders the axes: output axis `i` is input axis `axes[i]` (negative axes count from the
  /// end), like `torch.permute` / `numpy.transpose`. The values are copied into the new order.
  public func permuted(_ axes: [Int]) throws -> Tensor {
    guard axes.count == rank else {
      throw TensorError.invalidArgument(
        op: "permute",
        reason: "\(axes.count) axes \(fmt(axes)) for a tensor of shape \(fmt(shape)); give all \(rank)")
    }
    let order = try axes.map { try normalizedAxis($0, rank: rank, op: "permute") }
    guard Set(order).count == rank else {
      throw TensorError.invalidArgument(
        op: "permute",
        reason: "axes \(fmt(axes)) are not a permutation of 0..<\(rank) (shape \(fmt(shape)))")
    }
    if order == Array(0..<rank) { return self }
    let outShape = order.map { shape[$0] }
    try Tensor.checkShape(outShape, op: "permute")
    let inStrides = Tensor.strides(of: shape)
    let v = Tensor(shape: outShape) { o in
      StridedCopy.copy(
        shape: outShape, from: storage.pointer, srcStrides: order.map { inStrides[$0] },
        to: o.baseAddress!, dstStrides: Tensor.strides(of: outShape))
    }
    var inverse = [Int](repeating: 0, count: rank)
    for (i, a) in order.enumerated() { inverse[a] = i }
    return Tensor.record(v, op: "permute", inputs: [self]) { g in [try g.permuted(inverse)] }
  }

  /// Removes axis `axis`, which must have size 1 (shares storage).
  public func squeezed(axis: Int) throws -> Tensor {
    let a = try normalizedAxis(axis, rank: rank, op: "squeeze")
    guard shape[a] == 1 else {
      throw TensorError.invalidShape(op: "squeeze", shape: shape, reason: "axis \(axis) has size \(shape[a]), not 1")
    }
    var s = shape
    s.remove(at: a)
    return relabelled(s, op: "squeeze")
  }

  /// Removes every axis of size 1 (shares storage).
  public func squeezed() -> Tensor {
    relabelled(shape.filter { $0 != 1 }, op: "squeeze")
  }

  /// Inserts an axis of size 1 at position `axis` of the result, so `axis` ranges over
  /// `-(rank + 1)...rank` as in `torch.unsqueeze` (shares storage).
  public func unsqueezed(axis: Int) throws -> Tensor {
    let a = axis < 0 ? axis + rank + 1 : axis
    guard a >= 0 && a <= rank else {
      throw TensorError.invalidArgument(
        op: "unsqueeze",
        reason: "axis \(axis) is outside \(-rank - 1)...\(rank) for a tensor of shape \(fmt(shape))")
    }
    var s = shape
    s.insert(1, at: a)
    return relabelled(s, op: "unsqueeze")
  }

  /// Merges axes `startAxis...endAxis` into one, like `torch.flatten(x, startAxis, endAxis)`;
  /// the default turns a batch `[n, c, h, w]` into `[n, c * h * w]` (shares storage).
  /// A rank-0 tensor flattens to shape `[1]`.
  public func flattened(startAxis: Int = 1, endAxis: Int = -1) throws -> Tensor {
    if rank == 0 { return relabelled([1], op: "flatten") }
    let s = try normalizedAxis(startAxis, rank: rank, op: "flatten")
    let e = try normalizedAxis(endAxis, rank: rank, op: "flatten")
    guard s <= e else {
      throw TensorError.invalidArgument(
        op: "flatten",
        reason: "startAxis \(startAxis) comes after endAxis \(endAxis) for shape \(fmt(shape))")
    }
    let merged = shape[s...e].reduce(1, *)
    return relabelled(Array(shape[..<s]) + [merged] + Array(shape[(e + 1)...]), op: "flatten")
  }

  /// A copy broadcast to `target` by NumPy rules (`numpy.broadcast_to`, `torch.expand`): shapes
  /// align at the right, axes of size 1 repeat, new leading axes may be added, and -1 keeps a
  /// dimension. The gradient sums over the repeated axes.
  public func expanded(to target: [Int]) throws -> Tensor {
    guard target.count >= rank else {
      throw TensorError.shapeMismatch(op: "expand", lhs: shape, rhs: target)
    }
    let pad = target.count - rank
    var outShape = target
    for i in 0..<target.count {
      let own = i < pad ? nil : shape[i - pad]
      if target[i] == -1 {
        guard let own else {
          throw TensorError.invalidShape(
            op: "expand", shape: target, reason: "-1 is only allowed for existing axes of \(fmt(shape))")
        }
        outShape[i] = own
      } else if let own, own != 1, own != target[i] {
        throw TensorError.shapeMismatch(op: "expand", lhs: shape, rhs: target)
      }
    }
    try Tensor.checkShape(outShape, op: "expand")
    if outShape == shape { return self }
    let srcStrides = Tensor.broadcastStrides(shape, in: outShape)
    let v = Tensor(shape: outShape) { o in
      StridedCopy.copy(
        shape: outShape, from: storage.pointer, srcStrides: srcStrides,
        to: o.baseAddress!, dstStrides: Tensor.strides(of: outShape))
    }
    let original = shape
    return Tensor.record(v, op: "expand", inputs: [self]) { g in [try g.sumToShape(original)] }
  }

  /// The same storage under `newShape` (same element count): the reshape primitive, named `op`.
  private func relabelled(_ newShape: [Int], op: String) -> Tensor {
    reshapedNode(newShape).labelled(op, inputs: [self])
  }
}

/// `axis` in `-rank..<rank` mapped to `0..<rank`, or `invalidAxis` naming `op`.
private func normalizedAxis(_ axis: Int, rank: Int, op: String) throws -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0 && a < rank else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
  return a
}
