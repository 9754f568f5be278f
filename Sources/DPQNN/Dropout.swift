import DPQTensor

/// Zeroes each element with probability `p` in training and scales the rest by `1 / (1 - p)`
/// (inverted dropout, as PyTorch), so evaluation is the identity. The mask comes from the layer's
/// own seeded generator: runs are reproducible.
public final class Dropout: Module {
  public let probability: Float
  private var generator: RandomGenerator

  public init(_ probability: Float = 0.5, seed: UInt64 = 0) throws {
    guard probability >= 0, probability < 1 else {
      throw NNError.invalidArgument(op: "Dropout", reason: "the probability must be in [0, 1), got \(probability)")
    }
    self.probability = probability
    generator = RandomGenerator(seed: seed)
    super.init()
  }

  /// The mask generator's state, so a checkpoint continues the same masks.
  public var generatorState: [UInt64] { generator.state }

  /// Continues the masks from `state` (as `generatorState` returned it).
  public func restoreGenerator(state: [UInt64]) throws {
    guard let g = RandomGenerator(state: state) else {
      throw NNError.invalidArgument(op: "Dropout", reason: "not a generator state: \(state)")
    }
    generator = g
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    guard isTraining, probability > 0 else { return x }
    // a mask and an output of x's size: both must fit in the memory left
    try Tensor.checkShape(x.shape + [2], op: "dropout")
    let keep = 1 - probability
    let scale = 1 / keep
    // compare 24-bit uniforms against the keep probability; the mask holds 0 or 1/(1-p)
    // the generator in a local for the loop: a class property would be checked for exclusive
    // access at every element
    var rng = generator
    defer { generator = rng }
    let mask = makeTensor(x.shape) { m in for i in 0..<x.count { m[i] = rng.nextUniform() < keep ? scale : 0 } }
    // the composite x * mask: mul's gradient is g * mask
    return try (x * mask).labelled("dropout", inputs: [x])
  }
}
