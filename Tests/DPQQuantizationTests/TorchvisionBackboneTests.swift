import DPQData
import DPQNN
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// AlexNet and ResNet-18 backbones against torchvision.models itself and against python/dpq_torch's
/// modules (torchvision's layers and names): random weights and BatchNorm statistics, inputs at
/// 224x224 and at sizes where the adaptive pools do real work, outputs within 1e-4; a
/// torchvision checkpoint (its ImageNet head and `num_batches_tracked` included) loads through
/// `weights:`. torchvision's PyPI wheels are CUDA builds whose C++ ops do not load next to the
/// venv's CPU torch; scripts/peers/torchvision_models.py then imports torchvision.models alone
/// (the model definitions are plain torch.nn), and the test prints which of the two it used.
@Suite(.serialized) struct TorchvisionBackboneTests {
  static let build = """
    import sys, torch
    from safetensors.torch import save_file
    from dpq_torch import DPQ, save_dpq
    out = sys.argv[1]
    torch.manual_seed(1)
    for name, size in (('alexnet', (67, 75)), ('resnet18', (40, 52))):
        m = DPQ(backbone=name, input_shape=[3, *size], dim=16, classes=5, blocks=2, codewords=8)
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.normal_(0, 0.1); mod.running_var.uniform_(0.5, 1.5)
                    mod.weight.uniform_(0.5, 1.5); mod.bias.normal_(0, 0.1)
        m.eval()
        save_dpq(m, f'{out}/{name}.safetensors')
        checkpoint = dict(m.backbone.state_dict())          # torchvision's names
        head = ('fc', 512) if name == 'resnet18' else ('classifier.6', 4096)
        checkpoint[head[0] + '.weight'] = torch.randn(1000, head[1]); checkpoint[head[0] + '.bias'] = torch.randn(1000)
        save_file({k: v.contiguous() for k, v in checkpoint.items()}, f'{out}/{name}.torchvision.safetensors')
        x = torch.randn(2, 3, *size)
        with torch.no_grad():
            save_file({'inputs': x, 'backbone': m.backbone(x).contiguous(), 'features': m.features(x)}, f'{out}/{name}.reference.safetensors')
    print('built')
    """

  static let torchvision = """
    import sys, torch
    from safetensors.torch import save_file
    sys.path.insert(0, sys.argv[2])
    from torchvision_models import models
    tvm, description = models()
    out = sys.argv[1]
    torch.manual_seed(2)
    for name in ('alexnet', 'resnet18'):
        m = getattr(tvm, name)(weights=None)       # torchvision's own random initialisation
        with torch.no_grad():
            for mod in m.modules():
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.running_mean.normal_(0, 0.1); mod.running_var.uniform_(0.5, 1.5)
                    mod.weight.uniform_(0.5, 1.5); mod.bias.normal_(0, 0.1)
                    mod.num_batches_tracked.fill_(7)
        m.eval()
        save_file({k: v.contiguous() for k, v in m.state_dict().items()}, f'{out}/{name}.safetensors')
        if name == 'alexnet':   # dpq's backbone: everything up to classifier.6, fc7's ReLU output
            backbone = lambda x: m.classifier[:6](torch.flatten(m.avgpool(m.features(x)), 1))
        else:                   # everything up to fc, the global average pool's output
            stem = lambda x: m.maxpool(m.relu(m.bn1(m.conv1(x))))
            backbone = lambda x: torch.flatten(m.avgpool(m.layer4(m.layer3(m.layer2(m.layer1(stem(x)))))), 1)
        reference = {}
        for tag, size in (('224', (224, 224)), ('odd', (99, 131))):
            x = torch.randn(2, 3, *size)
            with torch.no_grad():
                y = backbone(x)
                # The slice above is torchvision's own forward pass minus its head: check it.
                full = m(x); head = m.classifier[6] if name == 'alexnet' else m.fc
                assert torch.allclose(head(y), full, atol=1e-5), name
            reference['inputs_' + tag], reference['backbone_' + tag] = x, y.contiguous()
        save_file(reference, f'{out}/{name}.reference.safetensors')
    print(description)
    """

  static func configuration(_ name: String) -> DPQConfiguration {
    var c = DPQConfiguration()
    c.backbone = BackboneKind(rawValue: name)!
    c.inputShape = name == "alexnet" ? [3, 67, 75] : [3, 40, 52]
    c.featureDimension = 16
    c.classCount = 5
    c.blockCount = 2
    c.codewordCount = 8
    return c
  }

  func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
    a.shape == b.shape ? zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0 : .infinity
  }

  @Test func backbonesEqualPyTorchAndLoadCheckpoints() throws {
    let py = try ProjectPython.require(["torch", "safetensors", "dpq_torch"])
    let dir = NSTemporaryDirectory() + "dpq-torchvision-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try ProjectPython.script(py, Self.build, [dir])
    for name in ["alexnet", "resnet18"] {
      let reference = try SafeTensors.read("\(dir)/\(name).reference.safetensors")
      let x = try reference.tensor("inputs")
      let model = try DPQModel.load(from: "\(dir)/\(name).safetensors")
      let backbone = try Tensor.withNoGrad { try model.network.backbone(x) }
      let d = largestDifference(backbone, try reference.tensor("backbone"))
      print("\(name): backbone output within \(d) of PyTorch's")
      #expect(d <= 1e-4, "\(name): backbone outputs differ by \(d)")
      #expect(largestDifference(try model.extractFeatures(x), try reference.tensor("features")) <= 1e-4)
      // The backbone alone, as a torchvision checkpoint (with its ImageNet head), via weights:.
      let fresh = try DPQModel(Self.configuration(name), seed: 3)
      try fresh.loadBackboneWeights(from: "\(dir)/\(name).torchvision.safetensors")
      fresh.eval()
      let again = try Tensor.withNoGrad { try fresh.network.backbone(x) }
      #expect(
        largestDifference(again, backbone) == 0, "\(name): the checkpoint loaded through weights: gives other outputs")
    }
  }

  /// torchvision.models.alexnet() and resnet18() with random weights, state_dict as safetensors,
  /// loaded with `weights:` into dpq's backbones: outputs within 1e-4 of torchvision's (eval).
  @Test func backbonesEqualTorchvisionItself() throws {
    let py = try ProjectPython.require(["torch", "safetensors"])
    let dir = NSTemporaryDirectory() + "dpq-torchvision-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // Fails (does not skip) when torchvision is missing: the helper raises ImportError.
    let used = try ProjectPython.script(
      py, Self.torchvision, [dir, ProjectPython.root.appendingPathComponent("scripts/peers").path])
    print("reference: \(used.trimmingCharacters(in: .whitespacesAndNewlines))")
    for name in ["alexnet", "resnet18"] {
      let reference = try SafeTensors.read("\(dir)/\(name).reference.safetensors")
      var c = Self.configuration(name)
      c.inputShape = [3, 224, 224]
      let model = try DPQModel(c, seed: 4)
      try model.loadBackboneWeights(from: "\(dir)/\(name).safetensors")
      model.eval()
      for tag in ["224", "odd"] {
        let y = try Tensor.withNoGrad { try model.network.backbone(try reference.tensor("inputs_" + tag)) }
        let expected = try reference.tensor("backbone_" + tag)
        let d = largestDifference(y, expected)
        let scale = expected.scalars.map { abs($0) }.max() ?? 0
        print(
          "\(name) at \(tag == "224" ? "224x224" : "99x131"): within \(d) of torchvision's (largest |output| \(scale))")
        #expect(scale > 1e-3, "\(name): torchvision's outputs are all near zero, a check without bite")
        #expect(d <= 1e-4, "\(name) at \(tag): backbone outputs differ from torchvision's by \(d)")
        // AlexNet's outputs under torchvision's initialisation are small (about 0.04), so 1e-4
        // alone would let a few per cent through: relative to the largest output as well.
        #expect(d <= 1e-5 * scale, "\(name) at \(tag): backbone outputs differ by \(d / scale) of their scale")
      }
    }
  }

  @Test func aFrozenBackboneIsNotTrainedAndKeepsItsStatistics() throws {
    var c = Self.configuration("resnet18")
    c.inputShape = [3, 16, 16]
    let model = try DPQModel(c, seed: 1)
    model.frozenBackbone = true
    let trained = Set(model.networkParameters.map { ObjectIdentifier($0) })
    #expect(
      trained
        == Set(
          (model.network.feature.parameters() + model.network.classifier.parameters()).map { ObjectIdentifier($0) }))
    model.train()
    #expect(!model.network.backbone.isTraining && model.network.feature.isTraining)
    let bn = try #require(model.network.backbone.children().compactMap { $0 as? BatchNorm2D }.first)
    let before = bn.runningMean.value.scalars
    _ = try model.network(try Tensor.randomNormal([2, 3, 16, 16], using: &defaultTestGenerator))
    #expect(bn.runningMean.value.scalars == before, "a frozen backbone's BatchNorm statistics moved")
  }

  @Test func inputSizesTheNetworksCannotTakeAreRefused() {
    var c = Self.configuration("alexnet")
    c.inputShape = [3, 62, 100]
    #expect(throws: QuantizationError.self) { try c.validate() }
    c.backbone = .resnet18
    c.inputShape = [1, 32, 32]
    #expect(throws: QuantizationError.self) { try c.validate() }
  }
}

nonisolated(unsafe) var defaultTestGenerator = RandomGenerator(seed: 17)
