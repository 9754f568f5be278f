import Testing

@testable import DPQTensor

private func message(_ body: () throws -> Any) -> String {
  do {
    _ = try body()
    return "no error"
  } catch { return "\(error)" }
}

private func r(_ start: Int?, _ end: Int?, _ step: Int = 1) -> TensorIndex {
  .range(start: start, end: end, step: step)
}

/// Expected values below were produced by NumPy on `np.arange(24).reshape(2, 3, 4)` and
/// `np.arange(10)`.
@Suite struct SliceTests {
  let x = try! Tensor.arange(0, 24).reshaped([2, 3, 4])
  let a = try! Tensor.arange(0, 10)

  @Test func indexDropsAxes() throws {
    let y = try x.sliced([1])
    #expect(y.shape == [3, 4] && y.scalars == (12..<24).map(Float.init))
    let z = try x.sliced([-1, -1, -1])
    #expect(z.shape == [] && z.scalars == [23])
    let w = try x.sliced([.all, 1])
    #expect(w.shape == [2, 4] && w.scalars == [4, 5, 6, 7, 16, 17, 18, 19])
  }

  @Test func rangesMatchNumPy() throws {
    #expect(try x.sliced([0, .all, r(nil, nil, -1)]).scalars == [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8])
    let s = try x.sliced([.all, r(nil, nil, 2), r(1, nil, 2)])
    #expect(s.shape == [2, 2, 2] && s.scalars == [1, 3, 9, 11, 13, 15, 21, 23])
    #expect(try x.sliced([0, r(5, 10)]).shape == [0, 4])
    #expect(try x.sliced([.all, r(2, 0, -1)]).scalars == [8, 9, 10, 11, 4, 5, 6, 7, 20, 21, 22, 23, 16, 17, 18, 19])
    let t = try x.sliced([-1, r(1, nil)])
    #expect(t.shape == [2, 4] && t.scalars == (16..<24).map(Float.init))
    let u = try x.sliced([.all, -1, r(nil, nil, -2)])
    #expect(u.shape == [2, 2] && u.scalars == [11, 9, 23, 21])
  }

  @Test func pythonSliceBoundsOnAVector() throws {
    #expect(try a.sliced([r(8, 2, -2)]).scalars == [8, 6, 4])
    #expect(try a.sliced([r(-3, nil)]).scalars == [7, 8, 9])
    #expect(try a.sliced([r(nil, -7, -3)]).scalars == [9, 6])
    #expect(try a.sliced([r(-100, 100)]).count == 10)
    #expect(try a.sliced([r(5, 5)]).count == 0)
    #expect(try a.sliced([r(nil, nil, -3)]).scalars == [9, 6, 3, 0])
    #expect(try a.sliced([r(3, nil, -1)]).scalars == [3, 2, 1, 0])
    #expect(try a.sliced([r(-11, nil, -1)]).count == 0)
    #expect(try a.sliced([r(20, -20, -4)]).scalars == [9, 5, 1])
    #expect(try a.sliced([.range(2..<5)]).scalars == [2, 3, 4])
  }

  @Test func subscriptIsSliced() throws {
    #expect(try x[1, .range(0..<2), -1] == x.sliced([1, .range(0..<2), -1]))
    #expect(try x[0].shape == [3, 4])
    #expect(throws: TensorError.indexOutOfRange(op: "slice", index: 2, bound: 2)) { try x[2] }
  }

  @Test func wholeTensorSpecSharesStorage() throws {
    #expect(try x.sliced([]).sharesStorage(with: x))
    #expect(try x.sliced([.all, r(nil, nil)]).sharesStorage(with: x))
  }

  @Test func rowsAndAxisSlices() throws {
    let m = try Tensor.arange(0, 12).reshaped([4, 3])
    #expect(try m.rows(1..<3).scalars == [3, 4, 5, 6, 7, 8])
    #expect(try m.slice(axis: 1, range: 1..<3).scalars == [1, 2, 4, 5, 7, 8, 10, 11])
    #expect(try m.slice(axis: -1, range: 0..<1).shape == [4, 1])
    let e = message { try m.rows(2..<5) }
    #expect(e.contains("slice") && e.contains("[4, 3]"), "\(e)")
    #expect(throws: TensorError.invalidAxis(op: "slice", axis: 2, rank: 2)) { try m.slice(axis: 2, range: 0..<1) }
  }

  @Test func errorsNameTheOpAndShape() throws {
    #expect(throws: TensorError.indexOutOfRange(op: "slice", index: 3, bound: 3)) { try x.sliced([0, 3]) }
    #expect(throws: TensorError.indexOutOfRange(op: "slice", index: -3, bound: 2)) { try x.sliced([-3]) }
    let many = message { try x.sliced([0, 0, 0, 0]) }
    #expect(many.contains("slice") && many.contains("[2, 3, 4]"), "\(many)")
    let zero = message { try x.sliced([r(nil, nil, 0)]) }
    #expect(zero.contains("slice") && zero.contains("step") && zero.contains("[2, 3, 4]"), "\(zero)")
  }

  @Test func assignBroadcastsIntoTheRegion() throws {
    var m = try Tensor.zeros([3, 4])
    let copy = m
    try m.assign(Tensor([1, 2]), at: [.all, .range(1..<3)])
    #expect(m.scalars == [0, 1, 2, 0, 0, 1, 2, 0, 0, 1, 2, 0])
    #expect(copy.scalars == [Float](repeating: 0, count: 12))
    try m.assign(9, at: [-1])
    #expect(m.scalars == [0, 1, 2, 0, 0, 1, 2, 0, 9, 9, 9, 9])
    try m.assign(Tensor([5, 6, 7, 8]), at: [0, r(nil, nil, -1)])
    #expect(try m.sliced([0]).scalars == [8, 7, 6, 5])
    try m.assign(Tensor([1, 2, 3]), at: [.all, 3])
    #expect(try m.sliced([.all, 3]).scalars == [1, 2, 3])
    try m.assign(Tensor(shape: [3, 1], scalars: [4, 5, 6]), at: [.all, r(0, 2)])
    #expect(try m.sliced([.all, r(0, 2)]).scalars == [4, 4, 5, 5, 6, 6])
    try m.assign(Tensor(scalar: 4), at: [1, 1])
    #expect(try m.value(at: [1, 1]) == 4)
  }

  @Test func assignFromItselfReadsTheOldValues() throws {
    var m = try Tensor.arange(0, 6).reshaped([2, 3])
    try m.assign(m.sliced([0]), at: [1])
    #expect(m.scalars == [0, 1, 2, 0, 1, 2])
    var v = try Tensor.arange(0, 5)
    try v.assign(v.sliced([r(nil, nil, -1)]), at: [])
    #expect(v.scalars == [4, 3, 2, 1, 0])
  }

  @Test func assignErrors() throws {
    var m = try Tensor.zeros([3, 4])
    #expect(throws: TensorError.shapeMismatch(op: "assign", lhs: [2], rhs: [3])) {
      try m.assign(Tensor([1, 2, 3]), at: [0, .range(0..<2)])
    }
    #expect(throws: TensorError.shapeMismatch(op: "assign", lhs: [4], rhs: [2, 4])) {
      try m.assign(Tensor.zeros([2, 4]), at: [0])
    }
    #expect(throws: TensorError.indexOutOfRange(op: "assign", index: 5, bound: 4)) { try m.assign(1, at: [0, 5]) }
  }

  @Test func assignIntoAResultDetachesItButKeepsLeaves() throws {
    var leaf = try Tensor.zeros([2]).requiringGrad()
    try leaf.assign(1, at: [0])
    #expect(leaf.op == "leaf" && leaf.scalars == [1, 0])
    var y = try leaf * 2
    try y.assign(5, at: [1])
    #expect(!y.requiresGrad && y.scalars == [2, 5])
  }

  @Test func gradientsScatterBackIntoZeros() throws {
    var rng = RandomGenerator(seed: 8)
    let t = try Tensor.randomNormal([3, 4, 5], using: &rng)
    let specs: [[TensorIndex]] = [
      [1], [.all, r(1, 3)], [r(nil, nil, -1), 2, r(nil, nil, 2)], [-1, -2, -3], [.all, .all, r(4, 0, -2)],
    ]
    for spec in specs {
      let res = try Tensor.checkGradients(of: { try $0[0].sliced(spec) }, at: [t])
      #expect(res.maxError < 1e-2, "\(spec): \(res)")
    }
    let rows = try Tensor.checkGradients(of: { try $0[0].rows(1..<3) }, at: [t])
    #expect(rows.maxError < 1e-2, "\(rows)")
    let ax = try Tensor.checkGradients(of: { try $0[0].slice(axis: 2, range: 1..<4) }, at: [t])
    #expect(ax.maxError < 1e-2, "\(ax)")
  }

  @Test func specsPrintInPythonNotation() {
    let spec: [TensorIndex] = [0, .all, r(1, 3), r(nil, nil, -1), r(2, nil, 2)]
    #expect(spec.map(\.description) == ["0", ":", "1:3", "::-1", "2::2"])
  }
}
