import Testing

@testable import DPQTensor

private func message(_ body: () throws -> Any) -> String {
  do {
    _ = try body()
    return "no error"
  } catch { return "\(error)" }
}

private func dot(_ a: Tensor, _ b: Tensor) -> Double {
  zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
}

@Suite struct GatherTests {
  let m = try! Tensor([[1, 2], [3, 4], [5, 6]])

  @Test func indexSelectPicksSlicesWithRepeats() throws {
    let r = try m.indexSelect(axis: 0, indices: [2, 0, 2])
    #expect(r.shape == [3, 2] && r.scalars == [5, 6, 1, 2, 5, 6])
    let c = try m.indexSelect(axis: 1, indices: [1, 1, 0])
    #expect(c.shape == [3, 3] && c.scalars == [2, 2, 1, 4, 4, 3, 6, 6, 5])
    #expect(try m.indexSelect(axis: -2, indices: [-1]).scalars == [5, 6])
    #expect(try m.indexSelect(axis: 0, indices: []).shape == [0, 2])
    #expect(try m.indexSelect(axis: 0, indices: Tensor([1, 0])).scalars == [3, 4, 1, 2])
    let x = try Tensor.arange(0, 24).reshaped([2, 3, 4])
    #expect(
      try x.indexSelect(axis: 1, indices: [2, 0]).scalars == [8, 9, 10, 11, 0, 1, 2, 3, 20, 21, 22, 23, 12, 13, 14, 15])
  }

  @Test func indexSelectErrors() throws {
    #expect(throws: TensorError.indexOutOfRange(op: "indexSelect", index: 3, bound: 3)) {
      try m.indexSelect(axis: 0, indices: [0, 3])
    }
    #expect(throws: TensorError.indexOutOfRange(op: "indexSelect", index: -4, bound: 3)) {
      try m.indexSelect(axis: 0, indices: [-4])
    }
    #expect(throws: TensorError.invalidAxis(op: "indexSelect", axis: 2, rank: 2)) {
      try m.indexSelect(axis: 2, indices: [0])
    }
    let frac = message { try m.indexSelect(axis: 0, indices: Tensor([0.5])) }
    #expect(frac.contains("indexSelect") && frac.contains("0.5"), "\(frac)")
  }

  /// The examples of the PyTorch documentation of `torch.gather`.
  @Test func gatherFollowsPyTorch() throws {
    let t = try Tensor([[1, 2], [3, 4]])
    #expect(try t.gather(axis: 1, indices: Tensor([[0, 0], [1, 0]])).scalars == [1, 1, 4, 3])
    #expect(try t.gather(axis: 0, indices: Tensor([[0, 1], [1, 0]])).scalars == [1, 4, 3, 2])
    // one score per row, the usual use with labels
    let scores = try Tensor.arange(0, 12).reshaped([3, 4])
    let picked = try scores.gather(axis: 1, indices: [1, 3, 0], shape: [3, 1])
    #expect(picked.shape == [3, 1] && picked.scalars == [1, 7, 8])
    // an index larger than the input along the gather axis is allowed
    let wide = try scores.gather(axis: 1, indices: [0, 0, 1, 1, 2, 3], shape: [1, 6])
    #expect(wide.scalars == [0, 0, 1, 1, 2, 3])
    // rank 3: out[i][j][k] = x[i][index[i][j][k]][k]
    let x = try Tensor.arange(0, 24).reshaped([2, 3, 4])
    let idx = [2, 0, 1, 2, 1, 1, 0, 0]
    let g = try x.gather(axis: 1, indices: idx, shape: [2, 1, 4])
    let expected: [Float] = (0..<8).map { p in
      let i = p / 4
      let k = p % 4
      return Float(i * 12 + idx[p] * 4 + k)
    }
    #expect(g.scalars == expected)
  }

  @Test func gatherErrors() throws {
    #expect(throws: TensorError.indexOutOfRange(op: "gather", index: 2, bound: 2)) {
      try m.gather(axis: 1, indices: Tensor([[0], [2], [1]]))
    }
    let rank = message { try m.gather(axis: 1, indices: Tensor([0, 1])) }
    #expect(rank.contains("gather") && rank.contains("[2]") && rank.contains("[3, 2]"), "\(rank)")
    let big = message { try m.gather(axis: 1, indices: [0, 0, 0, 0], shape: [4, 1]) }
    #expect(big.contains("gather") && big.contains("[4, 1]") && big.contains("[3, 2]"), "\(big)")
    let count = message { try m.gather(axis: 1, indices: [0, 0], shape: [3, 1]) }
    #expect(count.contains("gather") && count.contains("[3, 1]"), "\(count)")
    #expect(throws: TensorError.invalidAxis(op: "gather", axis: -3, rank: 2)) {
      try m.gather(axis: -3, indices: Tensor([[0]]))
    }
  }

  /// The examples of the PyTorch documentation of `Tensor.scatter_add_`.
  @Test func scatterAddFollowsPyTorch() throws {
    let src = try Tensor.ones([2, 5])
    let one = try Tensor.zeros([3, 5]).scatterAdd(axis: 0, indices: Tensor([[0, 1, 2, 0, 0]]), source: src)
    #expect(one.scalars == [1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0])
    let two = try Tensor.zeros([3, 5]).scatterAdd(
      axis: 0, indices: Tensor([[0, 1, 2, 0, 0], [0, 1, 2, 2, 2]]), source: src)
    #expect(two.scalars == [2, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1])
    // out of place: self is unchanged, and its values are the starting point
    let base = Tensor([10, 20, 30])
    let s = try base.scatterAdd(axis: 0, indices: [2, 2, 0], shape: [3], source: Tensor([1, 2, 3]))
    #expect(s.scalars == [13, 20, 33] && base.scalars == [10, 20, 30])
  }

  @Test func scatterAddErrors() throws {
    let z = try Tensor.zeros([3, 2])
    #expect(throws: TensorError.indexOutOfRange(op: "scatterAdd", index: 3, bound: 3)) {
      try z.scatterAdd(axis: 0, indices: [3], shape: [1, 1], source: Tensor.ones([1, 1]))
    }
    let small = message { try z.scatterAdd(axis: 0, indices: [0, 0], shape: [1, 2], source: Tensor.ones([1, 1])) }
    #expect(small.contains("scatterAdd") && small.contains("[1, 2]") && small.contains("[1, 1]"), "\(small)")
    let rank = message { try z.scatterAdd(axis: 0, indices: [0], shape: [1], source: Tensor.ones([1])) }
    #expect(rank.contains("scatterAdd") && rank.contains("[3, 2]"), "\(rank)")
  }

  /// gather and scatterAdd are adjoint: <gather(x), y> = <x, scatterAdd(0, y)>.
  @Test func gatherAndScatterAddAreAdjoint() throws {
    var rng = RandomGenerator(seed: 17)
    let x = try Tensor.randomNormal([4, 5, 3], using: &rng)
    let indexShape = [4, 7, 2]
    let idx = (0..<56).map { _ in rng.nextInt(below: 5) }
    let y = try Tensor.randomNormal(indexShape, using: &rng)
    let lhs = dot(try x.gather(axis: 1, indices: idx, shape: indexShape), y)
    let rhs = dot(x, try Tensor.zeros(x.shape).scatterAdd(axis: 1, indices: idx, shape: indexShape, source: y))
    #expect(abs(lhs - rhs) < 1e-4)
  }

  @Test func oneHotRows() throws {
    let h = try Tensor.oneHot([2, 0, 1, 2], classCount: 3)
    #expect(h.shape == [4, 3] && h.scalars == [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1])
    #expect(try Tensor.oneHot([], classCount: 2).shape == [0, 2])
    #expect(throws: TensorError.indexOutOfRange(op: "oneHot", index: 3, bound: 3)) {
      try Tensor.oneHot([0, 3], classCount: 3)
    }
    #expect(throws: TensorError.indexOutOfRange(op: "oneHot", index: -1, bound: 3)) {
      try Tensor.oneHot([-1], classCount: 3)
    }
    let zero = message { try Tensor.oneHot([0], classCount: 0) }
    #expect(zero.contains("oneHot") && zero.contains("classCount"), "\(zero)")
  }

  @Test func gradients() throws {
    var rng = RandomGenerator(seed: 23)
    let x = try Tensor.randomNormal([3, 4, 2], using: &rng)
    let select = try Tensor.checkGradients(of: { try $0[0].indexSelect(axis: 1, indices: [3, 0, 3, 3, 1]) }, at: [x])
    #expect(select.maxError < 1e-2, "indexSelect: \(select)")

    let gIdx = (0..<(3 * 6 * 2)).map { _ in rng.nextInt(below: 4) }
    let gather = try Tensor.checkGradients(of: { try $0[0].gather(axis: 1, indices: gIdx, shape: [3, 6, 2]) }, at: [x])
    #expect(gather.maxError < 1e-2, "gather: \(gather)")

    // index smaller than source (source [3, 5, 2], index [2, 5, 2]) with repeated targets
    let src = try Tensor.randomNormal([3, 5, 2], using: &rng)
    let sIdx = (0..<(2 * 5 * 2)).map { _ in rng.nextInt(below: 4) }
    let scatter = try Tensor.checkGradients(
      of: { try $0[0].scatterAdd(axis: 1, indices: sIdx, shape: [2, 5, 2], source: $0[1]) }, at: [x, src])
    #expect(scatter.maxError < 1e-2, "scatterAdd: \(scatter)")
  }

  @Test func scatterAddGradientOfUncoveredSourceIsZero() throws {
    let base = try Tensor.zeros([2]).requiringGrad()
    let src = Tensor([1, 2, 3]).requiringGrad()
    let out = try base.scatterAdd(axis: 0, indices: [1, 1], shape: [2], source: src)
    try out.backward(Tensor([5, 7]))
    #expect(src.grad?.scalars == [7, 7, 0])
    #expect(base.grad?.scalars == [5, 7])
  }
}
