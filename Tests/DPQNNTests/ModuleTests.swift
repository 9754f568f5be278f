import DPQTensor
import Testing

@testable import DPQNN

/// A two-level network to check dotted names: `backbone.0.weight`, `head.weight`, `scale`.
final class TwoPart: Module {
  let backbone: Sequential
  let head: Linear
  let scale: Parameter

  init(seed: UInt64 = 50) throws {
    var g = RandomGenerator(seed: seed)
    backbone = Sequential(try Linear(4, 3, generator: &g), ReLU(), try BatchNorm1D(3), try Dropout(0.5, seed: 1))
    head = try Linear(3, 2, bias: false, generator: &g)
    scale = Parameter(try Tensor.ones([2]))
    super.init()
    registerParameter(scale, named: "scale")
    registerModule(backbone, named: "backbone")
    registerModule(head, named: "head")
  }

  override func forward(_ x: Tensor) throws -> Tensor { try head(backbone(x)) * scale.value }
}

@Suite struct ModuleTests {
  @Test func namesFollowPyTorchStateDictKeys() throws {
    let net = try TwoPart()
    #expect(
      net.namedParameters().map(\.0) == [
        "scale", "backbone.0.weight", "backbone.0.bias",
        "backbone.2.weight", "backbone.2.bias", "head.weight",
      ])
    #expect(net.namedBuffers().map(\.0) == ["backbone.2.running_mean", "backbone.2.running_var"])
    #expect(
      net.stateDict().map(\.0) == [
        "scale", "backbone.0.weight", "backbone.0.bias", "backbone.2.weight",
        "backbone.2.bias", "backbone.2.running_mean", "backbone.2.running_var",
        "head.weight",
      ])
    #expect(net.parameterCount == 2 + 12 + 3 + 3 + 3 + 6)
    #expect(net.namedChildren().map(\.0) == ["backbone", "head"])
    #expect(
      net.namedModules().map(\.0) == ["", "backbone", "backbone.0", "backbone.1", "backbone.2", "backbone.3", "head"])
  }

  @Test func modesPropagateAndChangeDropoutAndBatchNorm() throws {
    let net = try TwoPart()
    let x = try randomTensor([8, 4], seed: 51)
    #expect(net.namedModules().allSatisfy { $0.1.isTraining })
    let a = try net(x)
    let b = try net(x)
    #expect(a != b) // fresh dropout masks
    let meanBefore = net.backbone[2] as! BatchNorm
    #expect(meanBefore.runningMean.value.scalars != [0, 0, 0]) // running statistics moved in training
    net.eval()
    #expect(net.namedModules().allSatisfy { !$0.1.isTraining })
    let running = meanBefore.runningMean.value
    let c = try net(x)
    let d = try net(x)
    #expect(c == d)
    #expect(meanBefore.runningMean.value == running) // evaluation leaves them alone
    // dropout in evaluation is the identity
    let drop = try Dropout(0.5)
    drop.eval()
    #expect(try drop(x) == x)
    net.train()
    #expect(net.head.isTraining)
  }

  @Test func dropoutZeroesAboutPAndRescales() throws {
    let drop = try Dropout(0.25, seed: 3)
    let x = try Tensor.ones([100, 100]).requiringGrad()
    let y = try drop(x)
    let kept = y.scalars.filter { $0 != 0 }
    #expect(abs(Float(kept.count) / 10_000 - 0.75) < 0.02)
    #expect(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
    try y.backward(Tensor.ones([100, 100]))
    #expect(x.grad == y.detached()) // the gradient is the mask
    // the same seed gives the same mask
    #expect(try Dropout(0.25, seed: 3)(x) == y)
  }

  @Test func stateDictRoundTripAndRefusals() throws {
    let net = try TwoPart()
    _ = try net(randomTensor([8, 4], seed: 52)) // move the running statistics
    let state = net.stateDict()
    let other = try TwoPart()
    other.head.weight.value = try Tensor.zeros([2, 3])
    #expect(other.stateDict().map(\.1) != state.map(\.1))
    try other.loadStateDict(state)
    #expect(other.stateDict().map(\.1) == state.map(\.1))
    #expect(other.head.weight.value.requiresGrad)
    // the loaded values are copies: training one network leaves the saved state alone
    let sgd = try SGD(parameters: other.parameters(), learningRate: 1)
    net.eval()
    other.eval()
    let x = try randomTensor([3, 4], seed: 53)
    #expect(try net(x) == other(x))
    try sumAll(other(x)).backward()
    try sgd.step()
    #expect(state.first { $0.0 == "head.weight" }?.1 == net.head.weight.value.detached())

    var wrong = state
    wrong[wrong.firstIndex { $0.0 == "backbone.0.weight" }!].1 = try Tensor.zeros([4, 3])
    let before = other.stateDict()
    #expect(throws: NNError.stateShapeMismatch(key: "backbone.0.weight", expected: [3, 4], got: [4, 3])) {
      try other.loadStateDict(wrong)
    }
    #expect(other.stateDict().map(\.1) == before.map(\.1)) // nothing was changed
    #expect(throws: NNError.missingKey("backbone.2.running_var")) {
      try other.loadStateDict(Array(state.filter { $0.0 != "backbone.2.running_var" }))
    }
    #expect(throws: NNError.unexpectedKey("extra")) { try other.loadStateDict(state + [("extra", Tensor([1]))]) }
    try other.loadStateDict(Array(state.prefix(2)) + [("extra", Tensor([1]))], strict: false)
    #expect(NNError.stateShapeMismatch(key: "a.b", expected: [3, 4], got: [4, 3]).description.contains("'a.b'"))
  }

  @Test func zeroGradClearsEveryGradient() throws {
    let net = try TwoPart()
    try sumAll(net(randomTensor([4, 4], seed: 54))).backward()
    #expect(net.parameters().allSatisfy { $0.grad != nil })
    net.zeroGrad()
    #expect(net.parameters().allSatisfy { $0.grad == nil })
  }

  @Test func summaryListsLayersShapesAndCounts() throws {
    let net = try LeNet.make(seed: 1)
    let text = try net.summary(inputShape: [2, 1, 28, 28])
    #expect(text.contains("conv1"))
    #expect(text.contains("Conv2D"))
    #expect(text.contains("[2, 32, 24, 24]"))
    #expect(text.contains("[2, 64, 4, 4]"))
    #expect(text.contains("[2, 10]"))
    #expect(text.contains("832")) // conv1: 32 * 25 + 32
    #expect(text.contains(grouped(net.parameterCount)))
    #expect(net.isTraining) // the dry run restores the mode
    let lines = text.split(separator: "\n")
    #expect(Set(lines.map(\.count)).count <= 2) // aligned columns (rules may differ)
  }

  @Test func baseModuleWithoutForwardThrows() throws {
    #expect(throws: NNError.forwardNotImplemented(module: "Module")) { try Module()(Tensor([1])) }
  }
}

/// The sum of all elements as a differentiable scalar (through a matmul with ones).
func sumAll(_ t: Tensor) throws -> Tensor {
  let flat = try t.reshaped([1, t.count])
  return try Tensor.matmul(flat, Tensor.ones([t.count, 1])).reshaped([])
}
