/// Joining and splitting along an axis: `concat`, `stack`, `split`, each differentiable. concat is
/// a primitive (GradientTable); stack is the composite concat of reshaped parts, split a list of
/// slices.
/// All three are block copies: for every position of the axes before `axis`, each part owns one
/// contiguous run of the output.

extension Tensor {
  /// The tensors joined along an existing axis (`torch.cat`, `numpy.concatenate`). All must have
  /// the same rank and agree on every other axis. The gradient is split back into the parts.
  public static func concat(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError.invalidArgument(op: "concat", reason: "needs at least one tensor")
    }
    let a = try joinAxis(axis, rank: first.rank, op: "concat")
    let op = "concat along axis \(axis)"
    for t in tensors.dropFirst() {
      guard t.rank == first.rank,
        t.shape.indices.allSatisfy({ $0 == a || t.shape[$0] == first.shape[$0] })
      else {
        throw TensorError.shapeMismatch(op: op, lhs: first.shape, rhs: t.shape)
      }
    }
    var outShape = first.shape
    outShape[a] = tensors.reduce(0) { $0 + $1.shape[a] }
    try checkShape(outShape, op: "concat")
    let inner = first.shape[(a + 1)...].reduce(1, *)
    let runs = tensors.map { $0.shape[a] * inner }
    let v = joined(tensors.map(\.storage), runs: runs, shape: outShape, outer: first.shape[..<a].reduce(1, *))
    let shapes = tensors.map(\.shape)
    let needs = tensors.map(\.requiresGrad)
    return record(v, op: "concat", inputs: tensors) { g in
      splitRuns(g, runs: runs, shapes: shapes, needed: needs, outer: outShape[..<a].reduce(1, *))
    }
  }

  /// Tensors of one shape joined along a new axis at position `axis` (`torch.stack`), so
  /// `axis` ranges over `-(rank + 1)...rank`. The gradient is split back into the parts.
  public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
    guard let first = tensors.first else {
      throw TensorError.invalidArgument(op: "stack", reason: "needs at least one tensor")
    }
    let r = first.rank
    let a = axis < 0 ? axis + r + 1 : axis
    guard a >= 0 && a <= r else {
      throw TensorError.invalidArgument(
        op: "stack",
        reason: "axis \(axis) is outside \(-r - 1)...\(r) for tensors of shape \(fmt(first.shape))")
    }
    for t in tensors.dropFirst() where t.shape != first.shape {
      throw TensorError.shapeMismatch(op: "stack", lhs: first.shape, rhs: t.shape)
    }
    var outShape = first.shape
    outShape.insert(tensors.count, at: a)
    try checkShape(outShape, op: "stack")
    // the composite: each part gains the new axis (a reshape), then they are concatenated along it
    var partShape = first.shape
    partShape.insert(1, at: a)
    let parts = tensors.map { $0.reshapedNode(partShape) }
    return try concat(parts, axis: a).labelled("stack", inputs: tensors)
  }

  /// Consecutive pieces of `sizes[0]`, `sizes[1]`, ... positions along `axis`
  /// (`torch.split` with a list); the sizes must add up to the axis length. Each piece is a
  /// differentiable copy.
  public func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
    let a = try joinAxis(axis, rank: rank, op: "split")
    guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, +) == shape[a] else {
      throw TensorError.invalidArgument(
        op: "split",
        reason:
          "sizes \(fmt(sizes)) must be non-negative and add up to \(shape[a]), the length of axis \(axis) of shape \(fmt(shape))"
      )
    }
    var start = 0
    return try sizes.map { n in
      defer { start += n }
      return try slice(axis: a, range: start..<(start + n))
    }
  }

  /// Fills a fresh tensor of `shape` with, for each of `outer` positions, one run of
  /// `runs[i]` floats from each part in turn.
  private static func joined(_ parts: [TensorStorage], runs: [Int], shape: [Int], outer: Int) -> Tensor {
    Tensor(shape: shape) { o in
      var d = o.baseAddress!
      for i in 0..<outer {
        for (p, run) in zip(parts, runs) where run > 0 {
          d.update(from: p.pointer + i * run, count: run)
          d += run
        }
      }
    }
  }

  /// The inverse of `joined`: the parts of `g` (nil where `needed` is false).
  private static func splitRuns(_ g: Tensor, runs: [Int], shapes: [[Int]], needed: [Bool], outer: Int) -> [Tensor?] {
    let parts = zip(shapes, needed).map { s, need in need ? Tensor(shape: s, zeroed: false) : nil }
    var src = UnsafePointer(g.storage.pointer)
    for i in 0..<outer {
      for (p, run) in zip(parts, runs) {
        if let p, run > 0 { (p.storage.pointer + i * run).update(from: src, count: run) }
        src += run
      }
    }
    return parts
  }
}

/// `axis` in `-rank..<rank` mapped to `0..<rank`, or `invalidAxis`.
private func joinAxis(_ axis: Int, rank: Int, op: String) throws -> Int {
  let a = axis < 0 ? axis + rank : axis
  guard a >= 0 && a < rank else { throw TensorError.invalidAxis(op: op, axis: axis, rank: rank) }
  return a
}
