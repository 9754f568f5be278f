import DPQNN
import DPQTensor

/// A Deep Progressive Quantization model (PAPER.md): a feature network guided by labels and M
/// progressive quantization blocks of K codewords each. The first m blocks of one trained model
/// give an m * log2(K)-bit code.
///
/// State-dict names: `backbone.*`, `feature.*`, `classifier.*` (PyTorch layouts) and
/// `codebooks.{m}` ([K, D], m = 0..M-1).
public final class DPQModel: Module {
  public let configuration: DPQConfiguration
  public let network: FeatureNetwork
  /// The codebook C_m of each block, [K, D].
  public let codebooks: [Parameter]

  /// A model with freshly initialised weights; codebooks start as N(0, 0.01^2) as in the released
  /// code (the trainer can re-initialise them by k-means on residuals).
  public init(_ configuration: DPQConfiguration, seed: UInt64 = 0) throws {
    self.configuration = configuration
    network = try FeatureNetwork(configuration, seed: seed)
    var g = RandomGenerator(seed: seed &+ 0x5EED)
    var books: [Parameter] = []
    for _ in 0..<configuration.blockCount {
      books.append(
        Parameter(
          try Tensor.randomNormal(
            [configuration.codewordCount, configuration.featureDimension],
            std: 0.01, using: &g)))
    }
    codebooks = books
    super.init()
    registerModule(network.backbone, named: "backbone")
    registerModule(network.feature, named: "feature")
    registerModule(network.classifier, named: "classifier")
    for (m, p) in codebooks.enumerated() { registerParameter(p, named: "codebooks.\(m)") }
  }

  public var blockCount: Int { configuration.blockCount }
  public var codewordCount: Int { configuration.codewordCount }
  public var featureDimension: Int { configuration.featureDimension }

  /// Whether the backbone is frozen (pretrained weights, `freeze:`): training then updates only
  /// the feature layer, the classifier and the codebooks, and the backbone's BatchNorm keeps
  /// its running statistics (evaluation mode), as when fine-tuning a torchvision model's head.
  public var frozenBackbone = false

  /// The parameters the network optimizer trains (backbone, feature layer, classifier; without
  /// the backbone when it is frozen), without the codebooks.
  public var networkParameters: [Parameter] {
    frozenBackbone ? network.feature.parameters() + network.classifier.parameters() : network.parameters()
  }

  public override func train(_ mode: Bool = true) {
    super.train(mode)
    if mode && frozenBackbone { network.backbone.eval() }
  }

  /// Everything one training step needs from a batch.
  public struct Forward {
    /// Features x [B, D].
    public let features: Tensor
    /// Classifier logits of x [B, classes].
    public let logits: Tensor
    public let quantization: ProgressiveQuantization.Output
  }

  /// Features, logits and all blocks' soft and hard quantizations of a batch of inputs.
  /// With `quantizationReachesNetwork` false the blocks see x detached, so the quantization losses
  /// train only the codebooks (the released code's choice).
  public func forwardAll(_ input: Tensor, quantizationReachesNetwork: Bool = true) throws -> Forward {
    let x = try network.features(input)
    let logits = try network.logits(features: x)
    let q = try ProgressiveQuantization.forward(
      quantizationReachesNetwork ? x : x.detached(),
      codebooks: codebooks.map(\.value),
      similarity: configuration.similarity, gamma: configuration.gamma)
    return Forward(features: x, logits: logits, quantization: q)
  }

  public override func forward(_ input: Tensor) throws -> Tensor { try network(input) }

  /// The D-dimensional features of a batch of inputs.
  public func features(_ input: Tensor) throws -> Tensor { try network.features(input) }

  /// Codebook C_m ([K, D]) of block m, counted from 1 as in the paper.
  public func codebook(_ m: Int) throws -> Tensor {
    guard m >= 1 && m <= blockCount else {
      throw QuantizationError.invalidArgument(
        op: "dpq", reason: "block \(m) does not exist: the model has blocks 1...\(blockCount)")
    }
    return codebooks[m - 1].value.detached()
  }

  /// All codebooks stacked, [M, K, D] (the additive layout a search index uses).
  public func stackedCodebooks() throws -> Tensor {
    try Tensor.stack(codebooks.map { $0.value.detached() }, axis: 0)
  }
}
