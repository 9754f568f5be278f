import Foundation
import Testing

@testable import DPQTensor

@Suite struct AutogradTests {
  @Test func gradientsAccumulateOverBackwardCalls() throws {
    let x = Tensor([1, -2, 3]).requiringGrad()
    let loss = try (x * x).sum()
    try loss.backward()
    #expect(x.grad?.scalars == [2, -4, 6])
    try loss.backward()
    #expect(x.grad?.scalars == [4, -8, 12])
    x.zeroGrad()
    #expect(x.grad == nil)
    try (x * 3).sum().backward()
    #expect(x.grad?.scalars == [3, 3, 3])
  }

  @Test func valueUsedTwiceGetsTheSummedGradient() throws {
    let x = Tensor([0.5, 2]).requiringGrad()
    try (x * x).sum().backward()
    #expect(x.grad?.scalars == [1, 4])
    // a diamond: y feeds two branches that meet again
    let z = Tensor([1, 2]).requiringGrad()
    let y = z.exp()
    try (y + y.square()).sum().backward()
    let expected = z.scalars.map { v -> Float in
      let e = Foundation.exp(v)
      return e + 2 * e * e
    }
    #expect(zip(z.grad?.scalars ?? [], expected).allSatisfy { Swift.abs($0 - $1) < 1e-4 * $1 })
  }

  @Test func detachedStopsGradients() throws {
    let x = Tensor([2, 3]).requiringGrad()
    try (x.detached() * x).sum().backward()
    #expect(x.grad?.scalars == [2, 3])
    #expect(!x.detached().requiresGrad)
  }

  @Test func noGradRecordsNothing() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let y = try Tensor.withNoGrad { try (x * x).sum().exp() }
    #expect(!y.requiresGrad && y.op == nil)
    #expect(Tensor.isGradEnabled)
    #expect(throws: TensorError.noGradient(op: "backward")) { try y.backward() }
    let nested = try Tensor.withNoGrad { try Tensor.withNoGrad { try x + x }.softmax(axis: 0) }
    #expect(!nested.requiresGrad)
    #expect(try (x + x).requiresGrad)
  }

  @Test func backwardOnConstantThrows() throws {
    #expect(throws: TensorError.noGradient(op: "backward")) { try Tensor([1, 2]).backward() }
    #expect(throws: TensorError.noGradient(op: "backward")) { try (Tensor([1]) * 2).backward() }
  }

  @Test func backwardChecksTheSeedShape() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let y = x.tanh()
    #expect(throws: TensorError.shapeMismatch(op: "backward", lhs: [2], rhs: [3])) {
      try y.backward(Tensor([1, 1, 1]))
    }
    try y.backward(Tensor([1, 0]))
    #expect(y.op == "tanh")
    #expect(x.grad?.scalars[1] == 0)
  }

  @Test func constantsInputsGetNoGradient() throws {
    let x = Tensor([1, 2]).requiringGrad()
    let c = Tensor([5, 6])
    let y = try (x * c).sum()
    try y.backward()
    #expect(x.grad?.scalars == [5, 6])
    #expect(c.grad == nil)
  }

  @Test func deepChainDoesNotOverflowTheStack() throws {
    // 100,000 ops: the backward walk and the release of the graph must both be iterative
    // (a recursive release overflowed the stack near this depth)
    let depth = 100_000
    let x = Tensor([1, 2]).requiringGrad()
    var y = x
    for _ in 0..<depth { y = try y * 1.00001 }
    try y.sum().backward()
    let g = x.grad?.scalars ?? []
    let expected = Float(Foundation.pow(1.00001, Double(depth)))
    #expect(g.count == 2 && g.allSatisfy { Swift.abs($0 - expected) < 1e-2 * expected }, "\(g) vs \(expected)")
    y = x // releases the chain
    #expect(y.op == "leaf")
  }

  @Test func releasingAGraphKeepsSharedNodesAlive() throws {
    // the iterative release must not cut the links of a node someone else still holds
    let x = Tensor([1, 2]).requiringGrad()
    let shared = try x * x
    do {
      var y = shared
      for _ in 0..<100 { y = try y + 1 }
      _ = y
    }
    try shared.sum().backward()
    #expect(x.grad?.scalars == [2, 4])
  }

  @Test func composedLossMatchesFiniteDifferences() throws {
    // a small classifier head: softmax cross-entropy over logits = tanh(x W) with a max-margin term
    var rng = RandomGenerator(seed: 61)
    let x = try Tensor.randomNormal([4, 5], using: &rng)
    let w = try Tensor.randomNormal([5, 3], using: &rng)
    let labels = try Tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]])
    let r = try Tensor.checkGradients(
      of: { t in
        let logits = try Tensor.matmul(t[0], t[1]).tanh()
        let ce = try (logits.logSoftmax(axis: 1) * labels).sum(axes: [1]).mean().negated()
        let spread = try logits.variance(axes: [0]).sum()
        return try ce + spread * 0.1
      }, at: [x, w])
    #expect(r.maxError < 1e-2, "\(r)")
  }
}
