import Testing

@testable import DPQTensor

private func message(_ body: () throws -> Any) -> String {
  do {
    _ = try body()
    return "no error"
  } catch { return "\(error)" }
}

/// Expected values from NumPy with `a = np.arange(6).reshape(2, 3)`, `b = np.arange(6, 12).reshape(2, 3)`.
@Suite struct JoinTests {
  let a = try! Tensor.arange(0, 6).reshaped([2, 3])
  let b = try! Tensor.arange(6, 12).reshaped([2, 3])

  @Test func concatAlongEitherAxis() throws {
    let rows = try Tensor.concat([a, b])
    #expect(rows.shape == [4, 3] && rows.scalars == (0..<12).map(Float.init))
    let cols = try Tensor.concat([a, b.slice(axis: 1, range: 0..<1)], axis: 1)
    #expect(cols.shape == [2, 4] && cols.scalars == [0, 1, 2, 6, 3, 4, 5, 9])
    #expect(try Tensor.concat([a, b], axis: -1).shape == [2, 6])
    #expect(try Tensor.concat([a, Tensor.zeros([0, 3]), b]).shape == [4, 3])
    #expect(try Tensor.concat([a]) == a)
  }

  @Test func concatErrors() throws {
    #expect(throws: TensorError.shapeMismatch(op: "concat along axis 0", lhs: [2, 3], rhs: [2, 4])) {
      try Tensor.concat([a, Tensor.zeros([2, 4])])
    }
    #expect(throws: TensorError.shapeMismatch(op: "concat along axis 1", lhs: [2, 3], rhs: [6])) {
      try Tensor.concat([a, Tensor.zeros([6])], axis: 1)
    }
    #expect(throws: TensorError.invalidAxis(op: "concat", axis: 2, rank: 2)) { try Tensor.concat([a, b], axis: 2) }
    #expect(throws: TensorError.invalidArgument(op: "concat", reason: "needs at least one tensor")) {
      try Tensor.concat([])
    }
    #expect(throws: TensorError.invalidAxis(op: "concat", axis: 0, rank: 0)) { try Tensor.concat([Tensor(scalar: 1)]) }
  }

  @Test func stackAlongNewAxis() throws {
    let s0 = try Tensor.stack([a, b])
    #expect(s0.shape == [2, 2, 3] && s0.scalars == (0..<12).map(Float.init))
    let s1 = try Tensor.stack([a, b], axis: 1)
    #expect(s1.shape == [2, 2, 3] && s1.scalars == [0, 1, 2, 6, 7, 8, 3, 4, 5, 9, 10, 11])
    let s2 = try Tensor.stack([a, b], axis: -1)
    #expect(s2.shape == [2, 3, 2] && s2.scalars == [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11])
    let scalars = try Tensor.stack([Tensor(scalar: 1), Tensor(scalar: 2)])
    #expect(scalars.shape == [2] && scalars.scalars == [1, 2])
  }

  @Test func stackErrors() throws {
    #expect(throws: TensorError.shapeMismatch(op: "stack", lhs: [2, 3], rhs: [3, 2])) {
      try Tensor.stack([a, Tensor.zeros([3, 2])])
    }
    let axis = message { try Tensor.stack([a, b], axis: 3) }
    #expect(axis.contains("stack") && axis.contains("[2, 3]"), "\(axis)")
    #expect(throws: TensorError.invalidArgument(op: "stack", reason: "needs at least one tensor")) {
      try Tensor.stack([])
    }
  }

  @Test func splitInvertsConcat() throws {
    let x = try Tensor.arange(0, 24).reshaped([2, 6, 2])
    let parts = try x.split(sizes: [1, 0, 3, 2], axis: 1)
    #expect(parts.map(\.shape) == [[2, 1, 2], [2, 0, 2], [2, 3, 2], [2, 2, 2]])
    #expect(parts[0].scalars == [0, 1, 12, 13])
    #expect(try Tensor.concat(parts, axis: 1) == x)
    #expect(try x.split(sizes: [2], axis: 0)[0] == x)
  }

  @Test func splitErrors() throws {
    let m = message { try a.split(sizes: [1, 1], axis: 1) }
    #expect(m.contains("split") && m.contains("[1, 1]") && m.contains("[2, 3]"), "\(m)")
    let neg = message { try a.split(sizes: [4, -1], axis: 1) }
    #expect(neg.contains("split") && neg.contains("[2, 3]"), "\(neg)")
    #expect(throws: TensorError.invalidAxis(op: "split", axis: -3, rank: 2)) { try a.split(sizes: [2], axis: -3) }
  }

  @Test func gradients() throws {
    var rng = RandomGenerator(seed: 31)
    let p = try Tensor.randomNormal([2, 1, 3], using: &rng)
    let q = try Tensor.randomNormal([2, 4, 3], using: &rng)
    let r = try Tensor.randomNormal([2, 2, 3], using: &rng)
    let cat = try Tensor.checkGradients(of: { try Tensor.concat($0, axis: 1) }, at: [p, q, r])
    #expect(cat.maxError < 1e-2, "concat: \(cat)")
    let cat0 = try Tensor.checkGradients(of: { try Tensor.concat([$0[0], $0[1]], axis: -1) }, at: [q, q])
    #expect(cat0.maxError < 1e-2, "concat last axis: \(cat0)")

    let s = try Tensor.randomNormal([2, 3], using: &rng)
    for axis in [0, 1, 2, -1] {
      let st = try Tensor.checkGradients(of: { try Tensor.stack($0, axis: axis) }, at: [s, s, s])
      #expect(st.maxError < 1e-2, "stack axis \(axis): \(st)")
    }
    // every piece of a split, rejoined in another order so each gradient path is exercised
    let sp = try Tensor.checkGradients(
      of: { xs in
        let parts = try xs[0].split(sizes: [1, 3, 0, 2], axis: 1)
        return try Tensor.concat([parts[2], parts[3], parts[0], parts[1]], axis: 1)
      }, at: [try Tensor.randomNormal([2, 6], using: &rng)])
    #expect(sp.maxError < 1e-2, "split: \(sp)")
  }

  @Test func onlyInputsThatNeedGradientsGetThem() throws {
    let x = try Tensor.ones([2]).requiringGrad()
    let c = try Tensor.concat([x, Tensor.zeros([3])])
    try c.backward(Tensor([1, 2, 3, 4, 5]))
    #expect(x.grad?.scalars == [1, 2])
  }
}
