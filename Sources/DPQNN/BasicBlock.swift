import DPQTensor

/// ResNet's basic residual block with torchvision's names: `conv1` (3x3, stride s), `bn1`,
/// `conv2` (3x3), `bn2`, and when the shape changes `downsample` (`0`: 1x1 conv, stride s;
/// `1`: BatchNorm); output relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
public final class BasicBlock: Module {
  public let conv1: Conv2D
  public let bn1: BatchNorm2D
  public let conv2: Conv2D
  public let bn2: BatchNorm2D
  public let downsample: Sequential?

  public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int, generator g: inout RandomGenerator) throws {
    conv1 = try Conv2D(
      inputChannels, outputChannels, kernelSize: 3, stride: stride, padding: 1, bias: false, generator: &g)
    bn1 = try BatchNorm2D(outputChannels)
    conv2 = try Conv2D(outputChannels, outputChannels, kernelSize: 3, padding: 1, bias: false, generator: &g)
    bn2 = try BatchNorm2D(outputChannels)
    if stride != 1 || inputChannels != outputChannels {
      downsample = Sequential(namedLayers: [
        ("0", try Conv2D(inputChannels, outputChannels, kernelSize: 1, stride: stride, bias: false, generator: &g)),
        ("1", try BatchNorm2D(outputChannels)),
      ])
    } else {
      downsample = nil
    }
    super.init()
    registerModule(conv1, named: "conv1")
    registerModule(bn1, named: "bn1")
    registerModule(conv2, named: "conv2")
    registerModule(bn2, named: "bn2")
    if let d = downsample { registerModule(d, named: "downsample") }
  }

  public override func forward(_ x: Tensor) throws -> Tensor {
    let h = try bn1(conv1(x)).relu()
    let y = try bn2(conv2(h))
    return try (y + (downsample.map { try $0(x) } ?? x)).relu()
  }
}
