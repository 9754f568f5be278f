import Foundation
import Testing

@testable import DPQTensor

private func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-5) -> Bool {
  a.count == b.count
    && zip(a, b).allSatisfy { x, y in
      (x.isNaN && y.isNaN) || x == y || Swift.abs(x - y) <= tolerance * Swift.max(1, Swift.abs(y))
    }
}

private func expectGradients(
  _ f: @escaping ([Tensor]) throws -> Tensor, at inputs: [Tensor], _ label: String,
  sourceLocation: SourceLocation = #_sourceLocation
) throws {
  let r = try Tensor.checkGradients(of: f, at: inputs)
  #expect(r.maxError < 1e-2, "\(label): \(r)", sourceLocation: sourceLocation)
}

/// A naive reduction in Double by walking every multi-index: the reference for all axis sets.
/// Returns the values in row-major order of the kept axes.
private func reference(_ x: Tensor, axes: [Int]?, _ fold: ([Double]) -> Double) -> [Float] {
  let shape = x.shape
  let rank = shape.count
  let reduced = Set((axes ?? Array(0..<rank)).map { $0 < 0 ? $0 + rank : $0 })
  let values = x.scalars
  var buckets: [Int: [Double]] = [:]
  var order: [Int] = []
  let strides = Tensor.strides(of: shape)
  for flat in 0..<values.count {
    var key = 0
    for d in 0..<rank where !reduced.contains(d) { key = key * shape[d] + (flat / strides[d]) % shape[d] }
    if buckets[key] == nil { order.append(key) }
    buckets[key, default: []].append(Double(values[flat]))
  }
  return order.sorted().map { Float(fold(buckets[$0]!)) }
}

private func sumOf(_ v: [Double]) -> Double { v.reduce(0, +) }
private func meanOf(_ v: [Double]) -> Double { sumOf(v) / Double(v.count) }
private func varianceOf(_ v: [Double], ddof: Int) -> Double {
  let m = meanOf(v)
  return v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - ddof)
}
private func logsumexpOf(_ v: [Double]) -> Double {
  let m = v.max()!
  return m + Foundation.log(v.reduce(0) { $0 + Foundation.exp($1 - m) })
}

/// Distinct values 0.1 apart in random order: no ties or near-ties for max/min/argmax.
private func distinct(_ shape: [Int], seed: UInt64) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  let n = shape.reduce(1, *)
  return try Tensor(shape: shape, scalars: rng.permutation(n).map { Float($0) * 0.1 - Float(n) * 0.05 })
}

/// The expected shape of a reduction of `shape` over `axes`.
private func reducedShape(_ shape: [Int], _ axes: [Int]?, keepDims: Bool) -> [Int] {
  let r = Set((axes ?? Array(shape.indices)).map { $0 < 0 ? $0 + shape.count : $0 })
  return shape.indices.compactMap { r.contains($0) ? (keepDims ? 1 : nil) : shape[$0] }
}

private let axisSets: [[Int]?] = [nil, [], [0], [1], [2], [-1], [0, 1], [1, 2], [0, 2], [-3, -1], [0, 1, 2]]

@Suite struct ReduceTests {
  /// (1-0)^2 + (2-4)^2 + (-3-1)^2 + (0.5-0.5)^2 = 1 + 4 + 16 + 0 = 21, in Double.
  @Test func sumSquaredDifferenceByHand() throws {
    let a = try Tensor(shape: [2, 2], scalars: [1, 2, -3, 0.5])
    let b = try Tensor(shape: [2, 2], scalars: [0, 4, 1, 0.5])
    #expect(a.sumSquaredDifference(b) == 21)
    #expect(b.sumSquaredDifference(a) == 21)
    #expect(a.sumSquaredDifference(a) == 0)
  }

  // MARK: hand-computed values

  @Test func sumMeanMaxMinByHand() throws {
    let x = try Tensor([[1, 2, 3], [4, 5, 6]])
    #expect(try x.sum().shape == [])
    #expect(try x.sum().item() == 21)
    #expect(try x.sum(axes: [0]).scalars == [5, 7, 9])
    #expect(try x.sum(axes: [1]).scalars == [6, 15])
    #expect(try x.sum(axes: [-1], keepDims: true).shape == [2, 1])
    #expect(try x.sum(keepDims: true).shape == [1, 1])
    #expect(try x.sum(axes: []).scalars == x.scalars)
    #expect(try x.mean().item() == 3.5)
    #expect(try x.mean(axes: [0]).scalars == [2.5, 3.5, 4.5])
    #expect(try x.mean(axes: [1]).scalars == [2, 5])
    #expect(try x.max().item() == 6)
    #expect(try x.max(axes: [0]).scalars == [4, 5, 6])
    #expect(try x.min(axes: [1]).scalars == [1, 4])
    #expect(try x.min(axes: [1], keepDims: true).shape == [2, 1])
    #expect(try Tensor(scalar: 4).sum().item() == 4)
    #expect(try Tensor([-3, -1, -2]).max().item() == -1)
  }

  @Test func emptyAxes() throws {
    let e = try Tensor.zeros([2, 0])
    #expect(try e.sum(axes: [1]).scalars == [0, 0])
    #expect(try e.mean(axes: [1]).scalars.allSatisfy(\.isNaN))
    #expect(try e.sum(axes: [0]).shape == [0])
    #expect(throws: TensorError.self) { try e.max(axes: [1]) }
    #expect(throws: TensorError.self) { try e.argmax(axis: 1) }
    #expect(throws: TensorError.self) { try e.logsumexp(axes: [1]) }
    #expect(try e.max(axes: [0]).shape == [0])
  }

  @Test func invalidAxesThrow() throws {
    let x = try Tensor.zeros([2, 3])
    #expect(throws: TensorError.invalidAxis(op: "sum", axis: 2, rank: 2)) { try x.sum(axes: [2]) }
    #expect(throws: TensorError.invalidAxis(op: "mean", axis: -3, rank: 2)) { try x.mean(axes: [-3]) }
    #expect(throws: TensorError.invalidAxis(op: "max", axis: 5, rank: 2)) { try x.max(axes: [0, 5]) }
    #expect(throws: TensorError.invalidAxis(op: "argmax", axis: 2, rank: 2)) { try x.argmax(axis: 2) }
    #expect(throws: TensorError.invalidAxis(op: "softmax", axis: -3, rank: 2)) { try x.softmax(axis: -3) }
    #expect(throws: TensorError.invalidAxis(op: "logSoftmax", axis: 2, rank: 2)) { try x.logSoftmax(axis: 2) }
    #expect(throws: TensorError.invalidAxis(op: "variance", axis: 2, rank: 2)) { try x.variance(axes: [2]) }
    #expect(throws: TensorError.invalidAxis(op: "logsumexp", axis: 7, rank: 2)) { try x.logsumexp(axes: [7]) }
    #expect(throws: TensorError.invalidAxis(op: "argmin", axis: 0, rank: 0)) { try Tensor(scalar: 1).argmin(axis: 0) }
    #expect(throws: TensorError.invalidArgument(op: "sum", reason: "axis -1 is listed twice in [1, -1]")) {
      try x.sum(axes: [1, -1])
    }
  }

  // MARK: against the naive reference, every axis set

  @Test(arguments: [[3, 4, 5], [2, 1, 3], [1, 6, 1]])
  func reductionsMatchReference(shape: [Int]) throws {
    var rng = RandomGenerator(seed: 41)
    let x = try Tensor.randomNormal(shape, using: &rng)
    for axes in axisSets {
      for keepDims in [false, true] {
        let label = "\(shape) axes \(axes.map { "\($0)" } ?? "nil") keepDims \(keepDims)"
        let expectedShape = reducedShape(shape, axes, keepDims: keepDims)
        let s = try x.sum(axes: axes, keepDims: keepDims)
        #expect(s.shape == expectedShape, "\(label)")
        #expect(close(s.scalars, reference(x, axes: axes, sumOf)), "sum \(label)")
        #expect(
          close(try x.mean(axes: axes, keepDims: keepDims).scalars, reference(x, axes: axes, meanOf)), "mean \(label)")
        #expect(
          try x.max(axes: axes, keepDims: keepDims).scalars == reference(x, axes: axes) { $0.max()! }, "max \(label)")
        #expect(
          try x.min(axes: axes, keepDims: keepDims).scalars == reference(x, axes: axes) { $0.min()! }, "min \(label)")
        let l = try x.logsumexp(axes: axes, keepDims: keepDims)
        #expect(l.shape == expectedShape, "\(label)")
        #expect(close(l.scalars, reference(x, axes: axes, logsumexpOf)), "logsumexp \(label)")
        let v = try x.variance(axes: axes, keepDims: keepDims)
        #expect(close(v.scalars, reference(x, axes: axes) { varianceOf($0, ddof: 0) }), "variance \(label)")
      }
    }
  }

  @Test func largeRowsAndColumnsMatchReference() throws {
    // the two hot cases (per row, per column) at sizes that exercise the unrolled loops
    var rng = RandomGenerator(seed: 42)
    let x = try Tensor.randomNormal([37, 301], using: &rng)
    for axes in [[0], [1]] {
      #expect(close(try x.sum(axes: axes).scalars, reference(x, axes: axes, sumOf), tolerance: 1e-5))
      #expect(try x.max(axes: axes).scalars == reference(x, axes: axes) { $0.max()! })
      #expect(close(try x.logsumexp(axes: axes).scalars, reference(x, axes: axes, logsumexpOf)))
    }
  }

  @Test func sumIsAccurateOverManyElements() throws {
    // 2^20 copies of 0.1: a naive Float accumulator drifts by about 1e-3 relative
    let n = 1 << 20
    let x = try Tensor.full([n], 0.1)
    let s = try x.sum().item()
    #expect(Swift.abs(Double(s) - Double(Float(0.1)) * Double(n)) / Double(n) < 1e-6)
  }

  // MARK: max/min gradient, argmax

  @Test func maxGradientSplitsTies() throws {
    let x = try Tensor([[1, 3, 3], [5, 2, 0]]).requiringGrad()
    try x.max(axes: [1]).sum().backward()
    #expect(x.grad?.scalars == [0, 0.5, 0.5, 1, 0, 0])
    let y = Tensor([2, -1, 2, 2]).requiringGrad()
    try y.max().backward()
    #expect(close(y.grad?.scalars ?? [], [1.0 / 3, 0, 1.0 / 3, 1.0 / 3]))
    let z = try Tensor([[1, 3], [0, 4]]).requiringGrad()
    try z.min(axes: [0], keepDims: true).sum().backward()
    #expect(z.grad?.scalars == [0, 1, 1, 0])
  }

  @Test func argmaxArgminByHand() throws {
    let x = try Tensor([[1, 7, 7, 2], [9, 0, 3, 9], [4, 4, 4, 4]])
    #expect(try x.argmax(axis: 1) == [1, 0, 0])
    #expect(try x.argmax(axis: -1) == [1, 0, 0])
    #expect(try x.argmin(axis: 1) == [0, 1, 0])
    #expect(try x.argmax(axis: 0) == [1, 0, 0, 1])
    #expect(try x.argmin(axis: 0) == [0, 1, 1, 0])
    let t = try x.argmaxTensor(axis: 1)
    #expect(t.shape == [3] && t.scalars == [1, 0, 0])
    #expect(try x.argmaxTensor(axis: 0, keepDims: true).shape == [1, 4])
    // NaN wins, as in NumPy
    #expect(try Tensor([1, .nan, 5, .nan]).argmax(axis: 0) == [1])
    #expect(try Tensor([1, .nan, -5]).argmin(axis: 0) == [1])
    #expect(try Tensor([3]).argmax(axis: 0) == [0])
  }

  @Test func argmaxOverMiddleAxisMatchesReference() throws {
    let x = try distinct([3, 5, 4], seed: 43)
    let v = x.scalars
    for axis in 0..<3 {
      var expected: [Int] = []
      let shape = x.shape
      let others = (0..<3).filter { $0 != axis }
      for i in 0..<shape[others[0]] {
        for j in 0..<shape[others[1]] {
          var best = 0
          for k in 0..<shape[axis] {
            var idx = [0, 0, 0]
            idx[others[0]] = i
            idx[others[1]] = j
            idx[axis] = k
            var bidx = idx
            bidx[axis] = best
            if v[(idx[0] * 5 + idx[1]) * 4 + idx[2]] > v[(bidx[0] * 5 + bidx[1]) * 4 + bidx[2]] { best = k }
          }
          expected.append(best)
        }
      }
      #expect(try x.argmax(axis: axis) == expected, "axis \(axis)")
      #expect(try x.negated().argmin(axis: axis) == expected, "axis \(axis)")
    }
  }

  // MARK: logsumexp and variance

  @Test func logsumexpIsStable() throws {
    let x = try Tensor([[1000, 1000], [-1000, -1000], [0, Float(Foundation.log(3.0))]])
    let l = try x.logsumexp(axes: [1])
    #expect(close(l.scalars, [1000 + 0.6931472, -1000 + 0.6931472, 1.3862944]))
    #expect(close(try x.logsumexp(axes: [0]).scalars, [1000, 1000]))
    let inf = try Tensor([-.infinity, -.infinity]).logsumexp()
    #expect(try inf.item() == -.infinity)
    #expect(try Tensor([-.infinity, 0]).logsumexp().item() == 0)
    let g = Tensor([1000, 1000, 1000, 1000]).requiringGrad()
    try g.logsumexp().backward()
    #expect(close(g.grad?.scalars ?? [], [0.25, 0.25, 0.25, 0.25]))
  }

  @Test func varianceMatchesTwoPassReference() throws {
    // a large offset makes the one-pass formula E[x^2] - E[x]^2 lose every digit in Float
    var rng = RandomGenerator(seed: 44)
    let noise = try Tensor.randomNormal([50, 8], using: &rng)
    let x = try noise + 10_000
    for axes: [Int]? in [nil, [0], [1]] {
      for unbiased in [false, true] {
        let v = try x.variance(axes: axes, unbiased: unbiased)
        let expected = reference(x, axes: axes) { varianceOf($0, ddof: unbiased ? 1 : 0) }
        #expect(close(v.scalars, expected, tolerance: 1e-3), "axes \(String(describing: axes)) unbiased \(unbiased)")
      }
    }
    #expect(try Tensor([1, 2, 3, 4]).variance().item() == 1.25)
    #expect(close([try Tensor([1, 2, 3, 4]).variance(unbiased: true).item()], [1.6666666]))
    #expect(throws: TensorError.self) { try Tensor([5]).variance(unbiased: true) }
    #expect(try Tensor([5]).variance().item() == 0)
  }

  // MARK: gradients

  @Test(arguments: [false, true])
  func reductionGradients(keepDims: Bool) throws {
    var rng = RandomGenerator(seed: 45)
    let x = try Tensor.randomNormal([3, 4, 5], using: &rng)
    let d = try distinct([3, 4, 5], seed: 46)
    for axes in axisSets {
      let label = "axes \(axes.map { "\($0)" } ?? "nil") keepDims \(keepDims)"
      try expectGradients({ try $0[0].sum(axes: axes, keepDims: keepDims) }, at: [x], "sum \(label)")
      try expectGradients({ try $0[0].mean(axes: axes, keepDims: keepDims) }, at: [x], "mean \(label)")
      try expectGradients({ try $0[0].max(axes: axes, keepDims: keepDims) }, at: [d], "max \(label)")
      try expectGradients({ try $0[0].min(axes: axes, keepDims: keepDims) }, at: [d], "min \(label)")
      try expectGradients({ try $0[0].logsumexp(axes: axes, keepDims: keepDims) }, at: [x], "logsumexp \(label)")
      if axes != [] {
        try expectGradients({ try $0[0].variance(axes: axes, keepDims: keepDims) }, at: [x], "variance \(label)")
        try expectGradients(
          { try $0[0].variance(axes: axes, keepDims: keepDims, unbiased: true) }, at: [x],
          "unbiased variance \(label)")
      }
    }
  }

  // MARK: softmax

  @Test func softmaxByHand() throws {
    let ln2 = Float(Foundation.log(2.0))
    let ln3 = Float(Foundation.log(3.0))
    let x = try Tensor([[0, ln2, ln3], [5, 5, 5]])
    let s = try x.softmax(axis: 1)
    let expected: [Float] = [1.0 / 6, 2.0 / 6, 3.0 / 6, 1.0 / 3, 1.0 / 3, 1.0 / 3]
    #expect(close(s.scalars, expected))
    let l = try x.logSoftmax(axis: -1)
    #expect(close(l.scalars, s.scalars.map { Foundation.log($0) }))
    let c = try x.softmax(axis: 0)
    let e = Foundation.exp(Float(5))
    let top: [Float] = [1 / (1 + e), 2 / (2 + e), 3 / (3 + e)]
    let bottom: [Float] = [e / (1 + e), e / (2 + e), e / (3 + e)]
    #expect(close(c.scalars, top + bottom))
  }

  @Test func softmaxIsStableAndNormalised() throws {
    let x = try Tensor([[1000, 1000, 999], [-1000, -1001, -1000]])
    let s = try x.softmax(axis: 1)
    #expect(!s.scalars.contains { $0.isNaN })
    #expect(close(try s.sum(axes: [1]).scalars, [1, 1]))
    let l = try x.logSoftmax(axis: 1)
    #expect(!l.scalars.contains { !$0.isFinite })
    #expect(close(l.scalars, s.scalars.map { Foundation.log($0) }, tolerance: 1e-4))
    // a very negative logit: softmax underflows to 0, log-softmax stays exact
    let far = try Tensor([0, -200]).logSoftmax(axis: 0)
    #expect(close(far.scalars, [0, -200]))
  }

  @Test func softmaxMatchesComposedOpsOnEveryAxis() throws {
    var rng = RandomGenerator(seed: 47)
    let x = try Tensor.randomNormal([3, 4, 5], using: &rng)
    for axis in [0, 1, 2, -1] {
      let composed = try (x - x.logsumexp(axes: [axis], keepDims: true)).exp()
      #expect(close(try x.softmax(axis: axis).scalars, composed.scalars), "axis \(axis)")
      let logComposed = try x - x.logsumexp(axes: [axis], keepDims: true)
      #expect(close(try x.logSoftmax(axis: axis).scalars, logComposed.scalars), "axis \(axis)")
    }
  }

  @Test(arguments: [0, 1, 2, -1])
  func softmaxGradients(axis: Int) throws {
    var rng = RandomGenerator(seed: 48)
    let x = try Tensor.randomNormal([3, 4, 5], using: &rng)
    try expectGradients({ try $0[0].softmax(axis: axis) }, at: [x], "softmax axis \(axis)")
    try expectGradients({ try $0[0].logSoftmax(axis: axis) }, at: [x], "logSoftmax axis \(axis)")
    let m = try Tensor.randomNormal([6, 300], using: &rng)
    if axis < 2 {
      try expectGradients({ try $0[0].softmax(axis: axis) }, at: [m], "softmax [6, 300] axis \(axis)")
      try expectGradients({ try $0[0].logSoftmax(axis: axis) }, at: [m], "logSoftmax [6, 300] axis \(axis)")
    }
  }

  @Test func softmaxOfEmptyAndScalarShapes() throws {
    #expect(try Tensor.zeros([0, 3]).softmax(axis: 1).shape == [0, 3])
    #expect(try Tensor.zeros([2, 0]).logSoftmax(axis: 1).shape == [2, 0])
    #expect(try Tensor([7]).softmax(axis: 0).scalars == [1])
  }
}
