import Testing

@testable import DPQTensor

/// Generator state for checkpoints, and gradient scaling for clipping (issue 7).
@Suite struct RandomStateTests {
  @Test func aRestoredGeneratorContinuesTheSameSequenceIncludingTheSpareNormal() throws {
    var g = RandomGenerator(seed: 42)
    _ = g.next()
    _ = g.nextNormal() // leaves a spare normal
    let state = g.state
    #expect(state[4] == 1)
    var h = try #require(RandomGenerator(state: state))
    #expect((0..<5).map { _ in g.nextNormal() } == (0..<5).map { _ in h.nextNormal() })
    #expect(g.permutation(20) == h.permutation(20))
    #expect(RandomGenerator(state: [0, 0, 0, 0, 0, 0]) == nil) // xoshiro's one forbidden state
    #expect(RandomGenerator(state: [1, 2, 3]) == nil)
  }

  @Test func scaleGradMultipliesTheLeafGradientOnly() throws {
    let x = try Tensor(shape: [2], scalars: [1, 2]).requiringGrad()
    try (x * x).sum().backward()
    x.scaleGrad(by: 0.5)
    #expect(x.grad?.scalars == [1, 2])
    let constant = Tensor([1])
    constant.scaleGrad(by: 2) // no gradient: nothing to do
    #expect(constant.grad == nil)
  }
}
