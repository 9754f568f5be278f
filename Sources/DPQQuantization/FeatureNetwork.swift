import DPQNN
import DPQTensor

/// The network part of a DPQ model: a backbone that maps an input to a hidden vector h, the feature
/// layer x = tanh(W h + b) of dimension D, and the classifier that guides x with labels.
///
/// Parameter names follow PyTorch's state-dict conventions (`backbone.conv1.weight`,
/// `feature.weight` [D, hidden], `classifier.bias`), so weights trained in PyTorch load here.
public final class FeatureNetwork: Module {
  public let backbone: Sequential
  public let feature: Linear
  public let classifier: Linear
  public let configuration: DPQConfiguration

  public init(_ c: DPQConfiguration, seed: UInt64) throws {
    try c.validate()
    configuration = c
    var g = RandomGenerator(seed: seed)
    let (body, hidden) = try FeatureNetwork.makeBackbone(c, generator: &g, seed: seed)
    backbone = body
    feature = try Linear(hidden, c.featureDimension, generator: &g)
    classifier = try Linear(c.featureDimension, c.classCount, generator: &g)
    super.init()
    registerModule(backbone, named: "backbone")
    registerModule(feature, named: "feature")
    registerModule(classifier, named: "classifier")
  }

  /// The D-dimensional features x = tanh(feature(backbone(input))).
  public func features(_ input: Tensor) throws -> Tensor {
    let h = try feature(backbone(input))
    return OpProfiler.measure("tanh forward") { h.tanh() }
  }

  /// Class logits of features x.
  public func logits(features x: Tensor) throws -> Tensor { try classifier(x) }

  public override func forward(_ input: Tensor) throws -> Tensor { try classifier(features(input)) }

  /// Builds the backbone layers and returns them with the hidden width they produce.
  /// Layer names inside the Sequential are PyTorch-style (`conv1`, `bn1`, `fc1`, ...).
  static func makeBackbone(_ c: DPQConfiguration, generator g: inout RandomGenerator, seed: UInt64) throws -> (
    Sequential, Int
  ) {
    var layers: [(String, Module)] = []
    func add(_ name: String, _ m: Module) { layers.append((name, m)) }
    switch c.backbone {
    case .lenet:
      // conv 5x5 1->32, ReLU, maxpool 2, conv 5x5 32->64, ReLU, maxpool 2, fc 1024->512, ReLU, dropout
      add("conv1", try Conv2D(1, 32, kernelSize: 5, generator: &g))
      if c.batchNorm { add("bn1", try BatchNorm2D(32)) }
      add("relu1", ReLU())
      add("pool1", try MaxPool2D(kernelSize: 2))
      add("conv2", try Conv2D(32, 64, kernelSize: 5, generator: &g))
      if c.batchNorm { add("bn2", try BatchNorm2D(64)) }
      add("relu2", ReLU())
      add("pool2", try MaxPool2D(kernelSize: 2))
      add("flatten", Flatten())
      add("fc1", try Linear(1024, 512, generator: &g))
      if c.batchNorm { add("bn3", try BatchNorm1D(512)) }
      add("relu3", ReLU())
      if c.dropout > 0 { add("dropout", try Dropout(c.dropout, seed: seed &+ 1)) }
      return (Sequential(namedLayers: layers), 512)
    case .cifar:
      // three VGG-style stages of two 3x3 convolutions (32, 64, 128 channels), each halving the size
      var channels = 3
      var side = 32
      var layer = 1
      for width in [32, 64, 128] {
        for _ in 0..<2 {
          add("conv\(layer)", try Conv2D(channels, width, kernelSize: 3, padding: 1, generator: &g))
          if c.batchNorm { add("bn\(layer)", try BatchNorm2D(width)) }
          add("relu\(layer)", ReLU())
          channels = width
          layer += 1
        }
        add("pool\(layer / 2)", try MaxPool2D(kernelSize: 2))
        side /= 2
      }
      add("flatten", Flatten())
      add("fc1", try Linear(channels * side * side, 512, generator: &g))
      if c.batchNorm { add("bn_fc1", try BatchNorm1D(512)) }
      add("relu_fc1", ReLU())
      if c.dropout > 0 { add("dropout", try Dropout(c.dropout, seed: seed &+ 1)) }
      return (Sequential(namedLayers: layers), 512)
    case .mlp:
      var width = c.inputShape[0]
      for (i, h) in c.hiddenSizes.enumerated() {
        add("fc\(i + 1)", try Linear(width, h, generator: &g))
        if c.batchNorm { add("bn\(i + 1)", try BatchNorm1D(h)) }
        add("relu\(i + 1)", ReLU())
        if c.dropout > 0 { add("dropout\(i + 1)", try Dropout(c.dropout, seed: seed &+ UInt64(i + 1))) }
        width = h
      }
      return (Sequential(namedLayers: layers), width)
    case .alexnet:
      return (try TorchvisionBackbones.alexNet(dropout: c.dropout, generator: &g, seed: seed), 4096)
    case .resnet18:
      return (try TorchvisionBackbones.resNet18(generator: &g), 512)
    }
  }
}
