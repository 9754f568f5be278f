import Testing

@testable import DPQTensor

/// `permuted` checked against plain index arithmetic: output element `i` is the input element
/// whose coordinate along axis `order[k]` is `i[k]`.
private func referencePermute(_ x: Tensor, _ order: [Int]) -> [Float] {
  let outShape = order.map { x.shape[$0] }
  let inStrides = Tensor.strides(of: x.shape)
  let values = x.scalars
  var out: [Float] = []
  var idx = [Int](repeating: 0, count: outShape.count)
  for _ in 0..<values.count {
    var flat = 0
    for k in 0..<order.count { flat += idx[k] * inStrides[order[k]] }
    out.append(values[flat])
    var d = outShape.count - 1
    while d >= 0 {
      idx[d] += 1
      if idx[d] < outShape[d] { break }
      idx[d] = 0
      d -= 1
    }
  }
  return out
}

private func permutations(_ n: Int) -> [[Int]] {
  if n == 0 { return [[]] }
  return permutations(n - 1).flatMap { p in
    (0...p.count).map { i in
      var q = p
      q.insert(n - 1, at: i)
      return q
    }
  }
}

private func message(_ body: () throws -> Any) -> String {
  do {
    _ = try body()
    return "no error"
  } catch { return "\(error)" }
}

@Suite struct ShapeTests {
  @Test func transposeOfSmallMatrix() throws {
    let x = try Tensor([[1, 2, 3], [4, 5, 6]])
    let t = try x.transposed()
    #expect(t.shape == [3, 2])
    #expect(t.scalars == [1, 4, 2, 5, 3, 6])
    #expect(try Tensor([1, 2]).transposed().scalars == [1, 2])
  }

  /// Sizes around and across the 32-wide tiles, so partial tiles and the untiled path both run.
  @Test(arguments: [[1, 7], [7, 1], [5, 9], [33, 65], [70, 45], [128, 3]])
  func transposeMatchesReference(shape: [Int]) throws {
    var rng = RandomGenerator(seed: 11)
    let x = try Tensor.randomNormal(shape, using: &rng)
    #expect(try x.transposed().scalars == referencePermute(x, [1, 0]))
    #expect(try x.transposed().transposed() == x)
  }

  @Test func allPermutationsOfRank4MatchIndexArithmetic() throws {
    let x = try Tensor.arange(0, 120).reshaped([2, 3, 4, 5])
    for order in permutations(4) {
      let p = try x.permuted(order)
      #expect(p.shape == order.map { x.shape[$0] })
      #expect(p.scalars == referencePermute(x, order), "order \(order)")
    }
  }

  /// Large enough that the tiled path runs with outer axes around the tile (NCHW -> NHWC and back).
  @Test(arguments: [[0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0], [1, 0, 3, 2], [2, 0, 1, 3]])
  func largeRank4PermutationsMatchIndexArithmetic(order: [Int]) throws {
    var rng = RandomGenerator(seed: 5)
    let x = try Tensor.randomNormal([3, 17, 40, 33], using: &rng)
    let p = try x.permuted(order)
    #expect(p.scalars == referencePermute(x, order))
    var inverse = [Int](repeating: 0, count: 4)
    for (i, a) in order.enumerated() { inverse[a] = i }
    #expect(try p.permuted(inverse) == x)
  }

  @Test func negativeAxesAndSwaps() throws {
    let x = try Tensor.arange(0, 24).reshaped([2, 3, 4])
    #expect(try x.permuted([-1, 0, 1]) == x.permuted([2, 0, 1]))
    #expect(try x.transposed(0, -1) == x.permuted([2, 1, 0]))
    #expect(try x.permuted([0, 1, 2]).sharesStorage(with: x))
  }

  @Test func permuteErrors() throws {
    let x = try Tensor.zeros([2, 3, 4])
    #expect(throws: TensorError.invalidAxis(op: "permute", axis: 3, rank: 3)) { try x.permuted([0, 1, 3]) }
    let dup = message { try x.permuted([0, 0, 1]) }
    #expect(dup.contains("permute") && dup.contains("[0, 0, 1]") && dup.contains("[2, 3, 4]"), "\(dup)")
    let short = message { try x.permuted([1, 0]) }
    #expect(short.contains("permute") && short.contains("[2, 3, 4]"), "\(short)")
    let t = message { try x.transposed() }
    #expect(t.contains("transpose") && t.contains("[2, 3, 4]"), "\(t)")
    #expect(throws: TensorError.invalidAxis(op: "transpose", axis: 5, rank: 3)) { try x.transposed(0, 5) }
  }

  @Test func squeezeUnsqueezeFlattenShareStorage() throws {
    let x = try Tensor.arange(0, 12).reshaped([2, 1, 3, 2])
    let s = try x.squeezed(axis: 1)
    #expect(s.shape == [2, 3, 2] && s.sharesStorage(with: x))
    #expect(try x.squeezed(axis: -3).shape == [2, 3, 2])
    #expect(try Tensor.zeros([1, 3, 1]).squeezed().shape == [3])
    #expect(try s.unsqueezed(axis: 0).shape == [1, 2, 3, 2])
    #expect(try s.unsqueezed(axis: 3).shape == [2, 3, 2, 1])
    #expect(try s.unsqueezed(axis: -1).shape == [2, 3, 2, 1])
    #expect(try s.unsqueezed(axis: -4).shape == [1, 2, 3, 2])
    let f = try x.flattened()
    #expect(f.shape == [2, 6] && f.sharesStorage(with: x) && f.scalars == x.scalars)
    #expect(try x.flattened(startAxis: 0).shape == [12])
    #expect(try x.flattened(startAxis: 1, endAxis: 2).shape == [2, 3, 2])
    #expect(try x.flattened(startAxis: -2).shape == [2, 1, 6])
    #expect(try Tensor(scalar: 5).flattened().shape == [1])
  }

  @Test func squeezeUnsqueezeFlattenErrors() throws {
    let x = try Tensor.zeros([2, 1, 3])
    #expect(throws: TensorError.invalidShape(op: "squeeze", shape: [2, 1, 3], reason: "axis 0 has size 2, not 1")) {
      try x.squeezed(axis: 0)
    }
    #expect(throws: TensorError.invalidAxis(op: "squeeze", axis: 3, rank: 3)) { try x.squeezed(axis: 3) }
    let u = message { try x.unsqueezed(axis: 4) }
    #expect(u.contains("unsqueeze") && u.contains("[2, 1, 3]"), "\(u)")
    #expect(throws: TensorError.invalidAxis(op: "flatten", axis: 1, rank: 1)) { try Tensor([1, 2]).flattened() }
    let order = message { try x.flattened(startAxis: 2, endAxis: 1) }
    #expect(order.contains("flatten") && order.contains("[2, 1, 3]"), "\(order)")
  }

  @Test func expandBroadcastsLikeNumPy() throws {
    let col = try Tensor(shape: [3, 1], scalars: [1, 2, 3])
    let e = try col.expanded(to: [2, 3, 4])
    #expect(e.shape == [2, 3, 4])
    let row: [Float] = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]
    #expect(e.scalars == row + row)
    #expect(try col.expanded(to: [-1, 2]).scalars == [1, 1, 2, 2, 3, 3])
    #expect(try Tensor([1, 2]).expanded(to: [3, 2]).scalars == [1, 2, 1, 2, 1, 2])
    #expect(try Tensor(scalar: 7).expanded(to: [2, 2]).scalars == [7, 7, 7, 7])
    #expect(try col.expanded(to: [3, 1]).sharesStorage(with: col))
  }

  @Test func expandErrors() throws {
    let x = try Tensor.zeros([3, 2])
    #expect(throws: TensorError.shapeMismatch(op: "expand", lhs: [3, 2], rhs: [3, 4])) { try x.expanded(to: [3, 4]) }
    #expect(throws: TensorError.shapeMismatch(op: "expand", lhs: [3, 2], rhs: [2])) { try x.expanded(to: [2]) }
    let m = message { try x.expanded(to: [-1, 3, 2]) }
    #expect(m.contains("expand") && m.contains("[3, 2]"), "\(m)")
  }

  @Test func gradients() throws {
    var rng = RandomGenerator(seed: 21)
    let m = try Tensor.randomNormal([4, 3], using: &rng)
    let x4 = try Tensor.randomNormal([2, 3, 4, 2], using: &rng)
    let x3 = try Tensor.randomNormal([2, 1, 3], using: &rng)
    let col = try Tensor.randomNormal([3, 1], using: &rng)
    let cases: [(String, ([Tensor]) throws -> Tensor, Tensor)] = [
      ("transposed", { try $0[0].transposed() }, m),
      ("transposed(a, b)", { try $0[0].transposed(1, 3) }, x4),
      ("permuted", { try $0[0].permuted([2, 0, 3, 1]) }, x4),
      ("squeezed(axis:)", { try $0[0].squeezed(axis: 1) }, x3),
      ("squeezed()", { $0[0].squeezed() }, x3),
      ("unsqueezed", { try $0[0].unsqueezed(axis: 2) }, m),
      ("flattened", { try $0[0].flattened() }, x4),
      ("expanded", { try $0[0].expanded(to: [2, 3, 5]) }, col),
    ]
    for (name, f, x) in cases {
      let r = try Tensor.checkGradients(of: f, at: [x])
      #expect(r.maxError < 1e-2, "\(name): \(r)")
    }
  }

  @Test func shapeOpsRecordTheirLabels() throws {
    let x = try Tensor.zeros([2, 3]).requiringGrad()
    #expect(try x.transposed().op == "permute")
    #expect(try x.unsqueezed(axis: 0).op == "unsqueeze")
    #expect(try x.expanded(to: [4, 2, 3]).op == "expand")
    #expect(try Tensor.zeros([2, 3]).transposed().requiresGrad == false)
  }
}
