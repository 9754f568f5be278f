import DPQTensor
import Testing

/// Values of `shape` at least 0.1 away from 0 and from each other's sign changes, so that central
/// differences never straddle a kink of relu, abs, clamp or a tie of max and min.
private func awayFromKinks(_ shape: [Int], seed: UInt64) throws -> Tensor {
  var rng = RandomGenerator(seed: seed)
  let x = try Tensor.randomNormal(shape, using: &rng)
  let n = x.count
  // distinct magnitudes 0.2, 0.35, 0.5, ... in a shuffled order, signs from the normal draw
  let order = try rng.choice(n, count: n)
  return try Tensor(
    shape: shape, scalars: x.scalars.enumerated().map { i, v in (v < 0 ? -1 : 1) * (0.2 + 0.15 * Float(order[i])) })
}

/// The composites of DPQTensor, each with the name its result carries.
private let composites: [(name: String, f: @Sendable ([Tensor]) throws -> Tensor)] = [
  ("sub", { try $0[0] - $0[1] }),
  ("square", { $0[0].square() }),
  ("abs", { $0[0].abs() }),
  ("clamp", { $0[0].clamped(min: -0.45, max: 0.6) }),
  ("minimum", { try Tensor.minimum($0[0], $0[1]) }),
  ("mean", { try $0[0].mean(axes: [1]) }),
  ("min", { try $0[0].min(axes: [0]) }),
  ("variance", { try $0[0].variance(axes: [1], unbiased: true) }),
  ("stack", { try Tensor.stack([$0[0], $0[1]], axis: 1) }),
  ("squeeze", { try $0[0].unsqueezed(axis: 0).squeezed(axis: 0) }),
  ("unsqueeze", { try $0[0].unsqueezed(axis: 2) }),
  ("flatten", { try $0[0].flattened(startAxis: 0) }),
]

@Suite struct GradientTableTests {
  @Test(arguments: composites.indices)
  func compositesAreMadeOfPrimitives(_ i: Int) throws {
    let (name, f) = composites[i]
    let inputs = [try awayFromKinks([3, 4], seed: 1), try awayFromKinks([3, 4], seed: 2)]
    let y = try f(inputs.map { $0.requiringGrad() })
    #expect(y.op == name)
    let rules = GradientTable.rules(below: y)
    #expect(
      rules.allSatisfy { $0 == "leaf" || GradientTable.primitives.contains($0) }, "\(name) records \(rules)")
    // and its gradient, which it gets from the primitives, is right
    let r = try Tensor.checkGradients(of: f, at: inputs)
    #expect(r.maxError < 1e-2, "\(name): \(r)")
  }

  @Test func everyRecordedRuleIsListed() throws {
    let x = try awayFromKinks([4, 5], seed: 3).requiringGrad()
    let w = try awayFromKinks([5, 5], seed: 4).requiringGrad()
    let h = try Tensor.matmul(x, w, transposeB: true).tanh()
    let s = try h.softmax(axis: 1) + h.logSoftmax(axis: 1) + h.sigmoid() + h.abs().pow(1.5)
    let picked = try s.gather(axis: 1, indices: Tensor(shape: [4, 1], scalars: [0, 1, 2, 3]))
    let y = try picked.sum() + h.logsumexp(axes: [1]).sum() + (h / 3).exp().sqrt().log().mean()
    let rules = GradientTable.rules(below: y)
    for r in rules { #expect(GradientTable.isListed(r), "\(r) is neither a primitive nor a fused kernel") }
    #expect(rules.contains("tanh") && rules.contains("softmax") && rules.contains("matmul"))
  }

  @Test func theTableIsOneListWithoutOverlaps() {
    let fused = GradientTable.fusedKernels.map(\.label)
    #expect(Set(GradientTable.primitives).count == GradientTable.primitives.count)
    #expect(Set(fused).count == fused.count)
    #expect(Set(fused).isDisjoint(with: GradientTable.primitives))
    #expect(GradientTable.primitives.count <= 21)
    for k in GradientTable.fusedKernels {
      #expect(k.benchmarkRow == "fused/\(k.label)" && !k.reason.isEmpty && !k.composite.isEmpty)
    }
  }

  @Test func squareGetsOneGradientTerm() throws {
    // x reaches the loss twice; its square's gradient is the one term 2 g x, added once
    let x = try awayFromKinks([7], seed: 5).requiringGrad()
    let g = try awayFromKinks([7], seed: 6)
    try (x.square() + x * 3).backward(g)
    let expected = zip(g.scalars, x.scalars).map { g, x in g * 3 + 2 * g * x }
    #expect(x.grad!.scalars == expected)
    // a product of two different tensors with the same values keeps its two terms
    let y = x.detached().requiringGrad()
    let z = x.detached().requiringGrad()
    try (y * z).backward(g)
    #expect(y.grad!.scalars == zip(g.scalars, x.scalars).map { $0 * $1 })
  }

  @Test func compositesGiveTheValuesOfDirectArithmetic() throws {
    let a = try awayFromKinks([3, 4], seed: 7)
    let b = try awayFromKinks([4], seed: 8)
    #expect(try (a - b).scalars == (0..<12).map { a.scalars[$0] - b.scalars[$0 % 4] })
    #expect(try Tensor.minimum(a, b).scalars == (0..<12).map { Swift.min(a.scalars[$0], b.scalars[$0 % 4]) })
    #expect(a.abs().scalars == a.scalars.map { Swift.abs($0) })
    #expect(Tensor([-0.0, 0, -1]).abs().scalars.map(\.sign) == [.plus, .plus, .plus])
    #expect(a.clamped(min: -0.5, max: 0.5).scalars == a.scalars.map { Swift.min(Swift.max($0, -0.5), 0.5) })
    #expect(Tensor([-0.0]).clamped().scalars[0].sign == .minus)
    let rows = try a.mean(axes: [1]).scalars
    // a row's sum is accumulated in Double (four lanes, here one element each), then scaled
    let d = a.scalars.map(Double.init)
    var expected: [Float] = []
    for r in 0..<3 {
      let total: Double = (d[4 * r] + d[4 * r + 1]) + (d[4 * r + 2] + d[4 * r + 3])
      expected.append(Float(total) * (1 / 4))
    }
    #expect(rows == expected)
  }
}
