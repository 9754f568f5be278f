import DPQNN
import DPQTensor

/// AlexNet and ResNet-18 with torchvision's module names and layouts (`features.0.weight`,
/// `layer2.0.downsample.1.running_var`), so a torchvision checkpoint converted to safetensors
/// loads into them by name. Each stops where the ImageNet classifier starts (AlexNet after fc7's
/// ReLU, ResNet-18 after its global average pool): DPQ's feature layer takes over there.
enum TorchvisionBackbones {
  /// torchvision.models.alexnet without `classifier.6`: output 4096.
  static func alexNet(dropout: Float, generator g: inout RandomGenerator, seed: UInt64) throws -> Sequential {
    var features: [(String, Module)] = []
    func conv(_ i: Int, _ inC: Int, _ outC: Int, _ k: Int, stride: Int = 1, padding: Int) throws {
      features.append(("\(i)", try Conv2D(inC, outC, kernelSize: k, stride: stride, padding: padding, generator: &g)))
      features.append(("\(i + 1)", ReLU()))
    }
    try conv(0, 3, 64, 11, stride: 4, padding: 2)
    features.append(("2", try MaxPool2D(kernelSize: 3, stride: 2)))
    try conv(3, 64, 192, 5, padding: 2)
    features.append(("5", try MaxPool2D(kernelSize: 3, stride: 2)))
    try conv(6, 192, 384, 3, padding: 1)
    try conv(8, 384, 256, 3, padding: 1)
    try conv(10, 256, 256, 3, padding: 1)
    features.append(("12", try MaxPool2D(kernelSize: 3, stride: 2)))
    var classifier: [(String, Module)] = []
    if dropout > 0 { classifier.append(("0", try Dropout(dropout, seed: seed &+ 1))) }
    classifier.append(("1", try Linear(256 * 6 * 6, 4096, generator: &g)))
    classifier.append(("2", ReLU()))
    if dropout > 0 { classifier.append(("3", try Dropout(dropout, seed: seed &+ 2))) }
    classifier.append(("4", try Linear(4096, 4096, generator: &g)))
    classifier.append(("5", ReLU()))
    return Sequential(namedLayers: [
      ("features", Sequential(namedLayers: features)),
      ("avgpool", try AdaptiveAvgPool2D(outputSize: 6)), ("flatten", Flatten()),
      ("classifier", Sequential(namedLayers: classifier)),
    ])
  }

  /// torchvision.models.resnet18 without `fc`: output 512.
  static func resNet18(generator g: inout RandomGenerator) throws -> Sequential {
    var layers: [(String, Module)] = [
      ("conv1", try Conv2D(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false, generator: &g)),
      ("bn1", try BatchNorm2D(64)), ("relu", ReLU()), ("maxpool", try MaxPool2D(kernelSize: 3, stride: 2, padding: 1)),
    ]
    var channels = 64
    for (stage, width) in [64, 128, 256, 512].enumerated() {
      let stride = stage == 0 ? 1 : 2
      let blocks = Sequential(namedLayers: [
        ("0", try BasicBlock(channels, width, stride: stride, generator: &g)),
        ("1", try BasicBlock(width, width, stride: 1, generator: &g)),
      ])
      layers.append(("layer\(stage + 1)", blocks))
      channels = width
    }
    layers.append(("avgpool", try AdaptiveAvgPool2D(outputSize: 1)))
    layers.append(("flatten", Flatten()))
    return Sequential(namedLayers: layers)
  }
}
