import Foundation
import Testing

@testable import DPQTensor

/// Values are within `tolerance` of each other, relative to max(1, |expected|); NaNs must match.
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

/// Normal values pushed at least `margin` away from every point in `kinks`, so central
/// differences with step 1e-2 never straddle a kink.
private func awayFrom(_ kinks: [Float], shape: [Int], margin: Float = 0.1, seed: UInt64) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  let x = try Tensor.randomNormal(shape, using: &rng)
  return try Tensor(
    shape: shape,
    scalars: x.scalars.map { v in
      var v = v
      for k in kinks where Swift.abs(v - k) < margin { v = v < k ? k - margin : k + margin }
      return v
    })
}

/// Values on the grid `offset + 0.25 k` for random integers k in -8..<8: two tensors on grids
/// offset by 0.125 never come closer than 0.125, so maximum/minimum have no near-ties.
private func grid(_ shape: [Int], offset: Float, seed: UInt64) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  let n = shape.reduce(1, *)
  return try Tensor(shape: shape, scalars: (0..<n).map { _ in offset + 0.25 * Float(rng.nextInt(below: 16) - 8) })
}

@Suite struct ElementwiseTests {
  // MARK: values

  @Test func unaryValues() throws {
    let e = Float(M_E)
    #expect(close(Tensor([0, 1, -1]).exp().scalars, [1, e, 1 / e]))
    #expect(close(Tensor([1, e, 0.5]).log().scalars, [0, 1, -0.6931472]))
    #expect(Tensor([0]).log().scalars == [-.infinity])
    #expect(Tensor([-1]).log().scalars[0].isNaN)
    #expect(close(Tensor([4, 9, 0]).sqrt().scalars, [2, 3, 0]))
    #expect(close(Tensor([-3, 0.5]).square().scalars, [9, 0.25]))
    #expect(Tensor([-2, 0, 3]).abs().scalars == [2, 0, 3])
    #expect(Tensor([-1, 0, 2]).relu().scalars == [0, 0, 2])
    #expect(close(Tensor([0, 0.5, -20]).tanh().scalars, [0, 0.46211716, -1]))
    #expect(close(Tensor([0, 2, -100, 100]).sigmoid().scalars, [0.5, 0.8807971, 0, 1]))
    #expect(!Tensor([-100, -1000]).sigmoid().scalars.contains { $0.isNaN })
  }

  @Test func powValues() throws {
    let x = Tensor([0.5, 2, 3])
    #expect(close(x.pow(2).scalars, [0.25, 4, 9]))
    #expect(close(x.pow(3).scalars, [0.125, 8, 27]))
    #expect(close(x.pow(1).scalars, [0.5, 2, 3]))
    #expect(close(x.pow(0.5).scalars, [0.70710677, 1.4142135, 1.7320508]))
    #expect(close(x.pow(-1).scalars, [2, 0.5, 0.33333334]))
    #expect(close(x.pow(0).scalars, [1, 1, 1]))
    #expect(close(x.pow(-2.5).scalars, [5.656854, 0.17677669, 0.06415003]))
  }

  @Test func clampValues() throws {
    let x = Tensor([-2, -0.5, 0, 0.7, 3])
    #expect(x.clamped(min: -1, max: 1).scalars == [-1, -0.5, 0, 0.7, 1])
    #expect(x.clamped(min: 0).scalars == [0, 0, 0, 0.7, 3])
    #expect(x.clamped(max: 0).scalars == [-2, -0.5, 0, 0, 0])
    #expect(x.clamped().scalars == x.scalars)
    // min > max: max wins everywhere, as in NumPy
    #expect(x.clamped(min: 2, max: 1).scalars == [1, 1, 1, 1, 1])
  }

  @Test func nanPropagates() throws {
    let x = Tensor([.nan, 1])
    #expect(x.relu().scalars[0].isNaN)
    #expect(x.clamped(min: 0, max: 0.5).scalars[0].isNaN)
    #expect(x.abs().scalars[0].isNaN)
    let m = try Tensor.maximum(x, Tensor([0, .nan]))
    #expect(m.scalars[0].isNaN && m.scalars[1].isNaN)
    let n = try Tensor.minimum(Tensor([0, .nan]), x)
    #expect(n.scalars[0].isNaN && n.scalars[1].isNaN)
  }

  @Test func maximumMinimumBroadcast() throws {
    let a = try Tensor([[1, 5, 3], [4, 2, 6]])
    let b = Tensor([3, 3, 3])
    #expect(try Tensor.maximum(a, b).scalars == [3, 5, 3, 4, 3, 6])
    #expect(try Tensor.minimum(a, b).scalars == [1, 3, 3, 3, 2, 3])
    let col = try Tensor(shape: [2, 1], scalars: [2, 5])
    #expect(try Tensor.maximum(a, col).scalars == [2, 5, 3, 5, 5, 6])
    #expect(try Tensor.minimum(Tensor(scalar: 2.5), a).scalars == [1, 2.5, 2.5, 2.5, 2, 2.5])
    #expect(try Tensor.maximum(a, col).shape == [2, 3])
  }

  @Test func binaryShapeErrorsNameTheOp() throws {
    let a = try Tensor.zeros([3, 4])
    let b = try Tensor.zeros([3])
    #expect(throws: TensorError.shapeMismatch(op: "maximum", lhs: [3, 4], rhs: [3])) { try Tensor.maximum(a, b) }
    #expect(throws: TensorError.shapeMismatch(op: "minimum", lhs: [3], rhs: [3, 4])) { try Tensor.minimum(b, a) }
    do {
      _ = try Tensor.maximum(a, b)
    } catch let e as TensorError {
      #expect(e.description == "maximum: shapes [3, 4] and [3] are not compatible")
    }
  }

  @Test func recordsOpLabels() throws {
    let x = Tensor([1, 2]).requiringGrad()
    #expect(x.exp().op == "exp")
    #expect(x.clamped(min: 0).op == "clamp")
    #expect(try Tensor.maximum(x, x).op == "maximum")
    #expect(Tensor.withNoGrad { x.tanh().op } == nil)
  }

  // MARK: gradients

  @Test func smoothUnaryGradients() throws {
    var rng = RandomGenerator(seed: 11)
    let x = try Tensor.randomNormal([3, 4], using: &rng)
    let positive = try Tensor.randomUniform([3, 4], low: 0.5, high: 2, using: &rng)
    try expectGradients({ $0[0].exp() }, at: [x], "exp")
    try expectGradients({ $0[0].tanh() }, at: [x], "tanh")
    try expectGradients({ $0[0].sigmoid() }, at: [x], "sigmoid")
    try expectGradients({ $0[0].square() }, at: [x], "square")
    try expectGradients({ $0[0].log() }, at: [positive], "log")
    try expectGradients({ $0[0].sqrt() }, at: [positive], "sqrt")
    for p: Float in [2, 1, 0, 0.5, -1, 3, -2.5] {
      try expectGradients({ $0[0].pow(p) }, at: [positive], "pow(\(p))")
    }
  }

  @Test func kinkedUnaryGradients() throws {
    let x = try awayFrom([0], shape: [4, 5], seed: 12)
    try expectGradients({ $0[0].abs() }, at: [x], "abs")
    try expectGradients({ $0[0].relu() }, at: [x], "relu")
    let y = try awayFrom([-0.5, 0.5], shape: [4, 5], seed: 13)
    try expectGradients({ $0[0].clamped(min: -0.5, max: 0.5) }, at: [y], "clamp both")
    try expectGradients({ $0[0].clamped(min: -0.5) }, at: [y], "clamp min")
    try expectGradients({ $0[0].clamped(max: 0.5) }, at: [y], "clamp max")
  }

  @Test func unaryGradientValues() throws {
    let x = Tensor([-2, 0, 3]).requiringGrad()
    try x.relu().sum().backward()
    #expect(x.grad?.scalars == [0, 0, 1])
    let y = Tensor([-2, 0, 3]).requiringGrad()
    try y.abs().sum().backward()
    #expect(y.grad?.scalars == [-1, 0, 1])
    let z = Tensor([-2, 0.5, 3]).requiringGrad()
    try z.clamped(min: -1, max: 1).sum().backward()
    #expect(z.grad?.scalars == [0, 1, 0])
  }

  @Test(arguments: [[3, 4], [4], [3, 1], [1, 4], []])
  func maximumMinimumGradients(bShape: [Int]) throws {
    let a = try grid([3, 4], offset: 0.125, seed: 21)
    let b = try grid(bShape, offset: 0, seed: 22)
    try expectGradients({ try Tensor.maximum($0[0], $0[1]) }, at: [a, b], "maximum [3, 4] with \(bShape)")
    try expectGradients({ try Tensor.minimum($0[0], $0[1]) }, at: [a, b], "minimum [3, 4] with \(bShape)")
    try expectGradients({ try Tensor.maximum($0[1], $0[0]) }, at: [a, b], "maximum \(bShape) with [3, 4]")
  }

  @Test func maximumTiesSplitTheGradient() throws {
    let a = Tensor([1, 2, 3]).requiringGrad()
    let b = Tensor([1, 5, 0]).requiringGrad()
    try Tensor.maximum(a, b).sum().backward()
    #expect(a.grad?.scalars == [0.5, 0, 1])
    #expect(b.grad?.scalars == [0.5, 1, 0])
    let c = Tensor([2, 2]).requiringGrad()
    let s = Tensor(scalar: 2).requiringGrad()
    try Tensor.minimum(c, s).sum().backward()
    #expect(c.grad?.scalars == [0.5, 0.5])
    #expect(s.grad?.scalars == [1])
  }

  // MARK: comparisons and where

  @Test func comparisonMasks() throws {
    let a = try Tensor([[1, 2, 3], [4, 5, 6]])
    let b = Tensor([2, 2, 7])
    #expect(try Tensor.equal(a, b).scalars == [0, 1, 0, 0, 0, 0])
    #expect(try Tensor.notEqual(a, b).scalars == [1, 0, 1, 1, 1, 1])
    #expect(try Tensor.greater(a, b).scalars == [0, 0, 0, 1, 1, 0])
    #expect(try Tensor.greaterEqual(a, b).scalars == [0, 1, 0, 1, 1, 0])
    #expect(try Tensor.less(a, b).scalars == [1, 0, 1, 0, 0, 1])
    #expect(try Tensor.lessEqual(a, b).scalars == [1, 1, 1, 0, 0, 1])
    #expect(try Tensor.greater(a, Tensor(scalar: 3)).scalars == [0, 0, 0, 1, 1, 1])
    let col = try Tensor(shape: [2, 1], scalars: [2, 5])
    #expect(try Tensor.less(col, a).scalars == [0, 0, 1, 0, 0, 1])
    let nan = Tensor([.nan])
    #expect(try Tensor.equal(nan, nan).scalars == [0])
    #expect(try Tensor.notEqual(nan, nan).scalars == [1])
    #expect(try Tensor.lessEqual(nan, Tensor([1])).scalars == [0])
  }

  @Test func comparisonsCarryNoGradient() throws {
    let a = Tensor([1, 2]).requiringGrad()
    let m = try Tensor.greater(a, Tensor(scalar: 1.5))
    #expect(!m.requiresGrad)
    #expect(throws: TensorError.shapeMismatch(op: "lessEqual", lhs: [2], rhs: [3])) {
      try Tensor.lessEqual(a, Tensor([1, 2, 3]))
    }
  }

  @Test func whereSelectsWithBroadcasting() throws {
    let c = try Tensor(shape: [3, 1], scalars: [1, 0, 2])
    let a = try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6])
    let out = try Tensor.where(c, a, Tensor(scalar: -1))
    #expect(out.shape == [3, 2])
    #expect(out.scalars == [1, 2, -1, -1, 5, 6])
    let row = try Tensor.where(Tensor([0, 1]), Tensor(scalar: 7), a)
    #expect(row.scalars == [1, 7, 3, 7, 5, 7])
    let same = try Tensor.where(Tensor([1, 0, 1]), Tensor([1, 2, 3]), Tensor([4, 5, 6]))
    #expect(same.scalars == [1, 5, 3])
    let scalar = try Tensor.where(Tensor(scalar: 0), Tensor(scalar: 1), Tensor(scalar: 2))
    #expect(scalar.shape == [] && scalar.scalars == [2])
  }

  @Test func whereErrors() throws {
    #expect(throws: TensorError.shapeMismatch(op: "where", lhs: [2], rhs: [3])) {
      try Tensor.where(Tensor([1, 0]), Tensor([1, 2]), Tensor([1, 2, 3]))
    }
    #expect(throws: TensorError.shapeMismatch(op: "where (condition against values)", lhs: [4], rhs: [3])) {
      try Tensor.where(Tensor([1, 0, 1, 0]), Tensor([1, 2, 3]), Tensor(scalar: 0))
    }
  }

  @Test(arguments: [([3, 4], [3, 4], [3, 4]), ([3, 1], [3, 4], [4]), ([4], [3, 1], []), ([], [3, 4], [1, 4])])
  func whereGradients(cShape: [Int], aShape: [Int], bShape: [Int]) throws {
    var rng = RandomGenerator(seed: 31)
    let cn = cShape.reduce(1, *)
    let c = try Tensor(shape: cShape, scalars: (0..<cn).map { _ in Float(rng.nextInt(below: 2)) })
    let a = try Tensor.randomNormal(aShape, using: &rng)
    let b = try Tensor.randomNormal(bShape, using: &rng)
    try expectGradients({ try Tensor.where(c, $0[0], $0[1]) }, at: [a, b], "where \(cShape) \(aShape) \(bShape)")
  }

  @Test func whereGradientValues() throws {
    let a = Tensor([1, 2, 3]).requiringGrad()
    let b = Tensor(scalar: 0).requiringGrad()
    try Tensor.where(Tensor([1, 0, 0]), a, b).sum().backward()
    #expect(a.grad?.scalars == [1, 0, 0])
    #expect(b.grad?.scalars == [2])
  }
}

@Suite struct FastMathTests {
  /// Every 293rd Float bit pattern in [lo, hi] and its negation: a few million values per range.
  private func sweep(_ lo: Float, _ hi: Float, _ body: (Float) -> Void) {
    var bits = lo.bitPattern
    while bits <= hi.bitPattern {
      let x = Float(bitPattern: bits)
      body(x)
      body(-x)
      bits += 293
    }
  }

  @Test func expIsAccurate() {
    var worst: Double = 0
    sweep(1e-8, 88) { x in
      let exact = Foundation.exp(Double(x))
      guard exact > 1.2e-38 else { return } // below Float's normal range exp flushes to 0
      worst = Swift.max(worst, Swift.abs(Double(FastMath.exp(x)) - exact) / exact)
    }
    #expect(worst < 4e-7, "max relative error \(worst)")
  }

  @Test func tanhAndSigmoidAreAccurate() {
    var worstTanh: Double = 0
    var worstSigmoid: Double = 0
    sweep(1e-6, 30) { x in
      let t = Foundation.tanh(Double(x))
      worstTanh = Swift.max(worstTanh, Swift.abs(Double(FastMath.tanh(x)) - t) / Swift.abs(t))
      let s = 1 / (1 + Foundation.exp(-Double(x)))
      worstSigmoid = Swift.max(worstSigmoid, Swift.abs(Double(FastMath.sigmoid(x)) - s) / s)
    }
    #expect(worstTanh < 1e-6, "tanh max relative error \(worstTanh)")
    #expect(worstSigmoid < 1e-6, "sigmoid max relative error \(worstSigmoid)")
  }

  @Test func limitsAndNaN() {
    #expect(FastMath.exp(0) == 1)
    #expect(FastMath.exp(89) == .infinity && FastMath.exp(.infinity) == .infinity)
    #expect(FastMath.exp(-88) == 0 && FastMath.exp(-.infinity) == 0)
    #expect(FastMath.exp(.nan).isNaN && FastMath.tanh(.nan).isNaN && FastMath.sigmoid(.nan).isNaN)
    #expect(FastMath.exp(1e30) == .infinity && FastMath.exp(-1e30) == 0)
    #expect(FastMath.tanh(1e30) == 1 && FastMath.tanh(-1e30) == -1 && FastMath.tanh(0) == 0)
    #expect(FastMath.sigmoid(-1e30) == 0 && FastMath.sigmoid(1e30) == 1 && FastMath.sigmoid(0) == 0.5)
  }
}
