import DPQTensor

/// How a quantization block scores a residual against its codewords (PAPER.md, Model).
public enum Similarity: String, CaseIterable, Codable, Sendable {
  /// Cosine of the angle: the released TensorFlow code.
  case cosine
  /// Negative squared Euclidean distance: the authors' later PyTorch version.
  case negativeSquaredL2 = "l2"
  /// Plain inner product.
  case innerProduct = "ip"
}

/// The network that turns an input into the hidden representation the feature layer reads.
public enum BackboneKind: String, CaseIterable, Codable, Sendable {
  /// LeNet-style CNN for 28x28 grayscale (the reference model of the foundation issue).
  case lenet
  /// A small VGG-style CNN for 32x32 RGB (CIFAR-10).
  case cifar
  /// A multi-layer perceptron for precomputed feature vectors.
  case mlp
  /// torchvision's AlexNet (the paper's backbone) up to fc7 (4096), colour images of 63x63 or more.
  case alexnet
  /// torchvision's ResNet-18 up to the global average pool (512), colour images of any size.
  case resnet18
}

/// The architecture of a DPQ model: everything needed to rebuild it before loading weights.
/// Paper symbols in the comments: D, M, K, gamma, lambda, tau, mu, nu.
public struct DPQConfiguration: Equatable, Codable, Sendable {
  public var backbone: BackboneKind = .lenet
  /// Shape of one input: [1, 28, 28], [3, 32, 32] or [d] for the MLP.
  public var inputShape: [Int] = [1, 28, 28]
  /// Hidden widths of the MLP backbone.
  public var hiddenSizes: [Int] = [512]
  /// Feature dimension D of `x = tanh(W h + b)`.
  public var featureDimension = 300
  public var classCount = 10
  /// Number of progressive blocks M; the first m blocks give an m * log2(K)-bit code.
  public var blockCount = 4
  /// Codewords per block K.
  public var codewordCount = 256
  public var similarity: Similarity = .negativeSquaredL2
  /// Softmax temperature gamma of the soft quantization.
  public var gamma: Float = 1
  /// Weight lambda of the classification loss.
  public var lambda: Float = 0.1
  /// Weight tau of the whole quantization loss.
  public var tau: Float = 1
  /// Weight mu of the hard-quantization loss.
  public var mu: Float = 1
  /// Weight nu of the joint (soft vs hard) loss.
  public var nu: Float = 0.1
  /// Also classify the hard reconstruction of every prefix with the same classifier.
  public var classifyReconstruction = false
  /// Labels are multi-hot (sigmoid cross-entropy) rather than single class indices.
  public var multiLabel = false
  /// Dropout before the feature layer.
  public var dropout: Float = 0.5
  /// BatchNorm after every convolution / hidden layer.
  public var batchNorm = false

  public init() {}

  /// Checks the numbers a user can get wrong, with messages that name the field.
  public func validate() throws {
    func bad(_ r: String) -> QuantizationError { .invalidArgument(op: "dpq", reason: r) }
    guard featureDimension > 0 else { throw bad("feature_dimension must be positive, got \(featureDimension)") }
    guard blockCount > 0 && blockCount <= 64 else { throw bad("blocks must be in 1...64, got \(blockCount)") }
    guard codewordCount >= 2 && codewordCount <= 65_536 else {
      throw bad("codewords must be in 2...65536, got \(codewordCount)")
    }
    guard classCount >= 1 else { throw bad("classes must be at least 1, got \(classCount)") }
    guard gamma > 0 && gamma.isFinite else { throw bad("gamma must be positive, got \(gamma)") }
    guard dropout >= 0 && dropout < 1 else { throw bad("dropout must be in [0, 1), got \(dropout)") }
    switch backbone {
    case .lenet:
      guard inputShape == [1, 28, 28] else {
        throw bad("the lenet backbone takes [1, 28, 28] inputs, got \(inputShape)")
      }
    case .cifar:
      guard inputShape == [3, 32, 32] else {
        throw bad("the cifar backbone takes [3, 32, 32] inputs, got \(inputShape)")
      }
    case .mlp:
      guard inputShape.count == 1 && inputShape[0] > 0 else {
        throw bad("the mlp backbone takes [d] inputs, got \(inputShape)")
      }
    case .alexnet:
      // Three stride-2 3x3 max pools after the stride-4 11x11 convolution need 63 pixels a side.
      guard inputShape.count == 3, inputShape[0] == 3, inputShape[1] >= 63, inputShape[2] >= 63 else {
        throw bad("the alexnet backbone takes [3, h, w] inputs with h, w >= 63 (224 as in ImageNet), got \(inputShape)")
      }
    case .resnet18:
      guard inputShape.count == 3, inputShape[0] == 3, inputShape[1] > 0, inputShape[2] > 0 else {
        throw bad("the resnet18 backbone takes [3, h, w] inputs, got \(inputShape)")
      }
    }
  }

  /// Bits of a code made of the first `blocks` blocks.
  public func bits(blocks: Int) -> Int {
    var k = codewordCount - 1
    var b = 0
    while k > 0 {
      b += 1
      k >>= 1
    }
    return blocks * b
  }
}

extension DPQConfiguration {
  /// dpq's recipe, chosen on the FM-5k validation split (docs/dpq.md): cosine similarity with
  /// gamma 10, tau 0.1 (the quantization loss at the classification loss's weight) and BatchNorm.
  /// `dpq()` in the language and `dpq experiment` start from it; `DPQConfiguration()` keeps the
  /// released code's values (squared L2, gamma 1, tau 1, no BatchNorm).
  public static var recommended: DPQConfiguration {
    var c = DPQConfiguration()
    c.similarity = .cosine
    c.gamma = 10
    c.tau = 0.1
    c.batchNorm = true
    return c
  }
}
