import DPQTensor

/// The LeNet-style backbone of the DPQ paper's MNIST / Fashion-MNIST experiments:
/// conv 5x5 (1 -> 32), ReLU, max-pool 2, conv 5x5 (32 -> 64), ReLU, max-pool 2, flatten,
/// linear (1024 -> 512), ReLU, dropout 0.5, linear (512 -> D) with tanh: the feature layer `fc2`,
/// then the `classifier` linear (D -> classes).
///
/// The DPQ model reuses the parts by name: `features(_:)` gives the D-dimensional tanh features,
/// `forward(_:)` the class logits.
public final class LeNet: Module {
  public let conv1: Conv2D
  public let pool1: MaxPool2D
  public let conv2: Conv2D
  public let pool2: MaxPool2D
  public let flatten: Flatten
  public let fc1: Linear
  public let dropout: Dropout
  /// The feature layer (512 -> featureDimension), followed by tanh.
  public let fc2: Linear
  public let classifier: Linear
  public let featureDimension: Int
  public let classCount: Int

  /// A LeNet for `inputChannels x imageSize x imageSize` images, its weights drawn from `seed`.
  public init(
    inputChannels: Int = 1, imageSize: Int = 28, featureDimension: Int = 300, classCount: Int = 10,
    dropout: Float = 0.5, seed: UInt64 = 0
  ) throws {
    let side = ((imageSize - 4) / 2 - 4) / 2
    guard imageSize >= 16, (imageSize - 4) / 2 >= 5 else {
      throw NNError.invalidArgument(op: "LeNet", reason: "images must be at least 16 x 16, got \(imageSize)")
    }
    var generator = RandomGenerator(seed: seed)
    conv1 = try Conv2D(inputChannels, 32, kernelSize: 5, generator: &generator)
    pool1 = try MaxPool2D(kernelSize: 2)
    conv2 = try Conv2D(32, 64, kernelSize: 5, generator: &generator)
    pool2 = try MaxPool2D(kernelSize: 2)
    flatten = Flatten()
    fc1 = try Linear(64 * side * side, 512, generator: &generator)
    self.dropout = try Dropout(dropout, seed: seed &+ 1)
    fc2 = try Linear(512, featureDimension, generator: &generator)
    classifier = try Linear(featureDimension, classCount, generator: &generator)
    self.featureDimension = featureDimension
    self.classCount = classCount
    super.init()
    registerModule(conv1, named: "conv1")
    registerModule(pool1, named: "pool1")
    registerModule(conv2, named: "conv2")
    registerModule(pool2, named: "pool2")
    registerModule(flatten, named: "flatten")
    registerModule(fc1, named: "fc1")
    registerModule(self.dropout, named: "dropout")
    registerModule(fc2, named: "fc2")
    registerModule(classifier, named: "classifier")
  }

  /// The network of the DPQ paper: 28 x 28 grey images, `featureDimension` features, `classCount` classes.
  public static func make(featureDimension: Int = 300, classCount: Int = 10, seed: UInt64 = 0) throws -> LeNet {
    try LeNet(featureDimension: featureDimension, classCount: classCount, seed: seed)
  }

  /// The tanh features of `fc2`, `[N, featureDimension]`, for images `[N, C, H, W]`.
  public func features(_ x: Tensor) throws -> Tensor {
    var h = try pool1(conv1(x).relu(nanToZero: true))
    h = try pool2(conv2(h).relu(nanToZero: true))
    h = try dropout(fc1(flatten(h)).relu(nanToZero: true))
    return try fc2(h).tanh()
  }

  /// The class logits `[N, classCount]`.
  public override func forward(_ x: Tensor) throws -> Tensor { try classifier(features(x)) }
}
