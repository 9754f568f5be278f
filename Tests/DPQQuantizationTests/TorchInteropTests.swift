import DPQData
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// PyTorch models in dpq and dpq models in PyTorch, through python/dpq_torch: a model trained
/// 20 steps in PyTorch, saved with save_dpq and with a plain save_file (also as F16 and BF16),
/// gives dpq the same features (within 1e-5) and codes; a dpq model loads with strict=True.
@Suite(.serialized) struct TorchInteropTests {
  static let train = """
    import copy, json, sys, torch
    from safetensors.torch import save_file
    from dpq_torch import DPQ, dpq_losses, save_dpq
    out = sys.argv[1]
    torch.manual_seed(0)
    cases = {'mlp': dict(backbone='mlp', input_shape=[6], hidden=[12, 10], dim=5, classes=3, blocks=3, codewords=16, batch_norm=True),
             'lenet': dict(backbone='lenet', dim=16, classes=10, blocks=2, codewords=8)}
    for name, kw in cases.items():
        m = DPQ(**kw)
        shape = kw.get('input_shape', [1, 28, 28])
        # Noise images of varied brightness for LeNet (plain noise images all look alike to a
        # fresh network), unit normals for the MLP.
        draw = (lambda *s: torch.rand(*s) * torch.rand(s[0], 1, 1, 1) * 4) if name == 'lenet' else torch.randn
        x, y = draw(64, *shape), torch.randint(0, kw['classes'], (64,))
        with torch.no_grad():
            # Codewords among the features (first block) and the residuals' scale (the others),
            # as a k-means start would place them, so that codes carry information.
            m.eval(); f = m.features(x)
            m.codebooks[0].copy_(f[torch.randperm(64)[:kw['codewords']]])
            for c in list(m.codebooks)[1:]: c.copy_(torch.randn_like(c) * f.std() * 0.5)
        # A slow network and fast codebooks (dpq also gives them separate optimizers), so the
        # codewords follow the features rather than being left behind by them.
        net = [p for n, p in m.named_parameters() if not n.startswith('codebooks')]
        opt = torch.optim.Adam([{'params': net, 'lr': 1e-4}, {'params': list(m.codebooks), 'lr': 1e-2}])
        m.train()
        for step in range(20):
            opt.zero_grad(); dpq_losses(m, x, y).backward(); opt.step()
        m.eval()
        state = m.state_dict()
        save_dpq(m, f'{out}/{name}.dpq.safetensors')
        save_file(state, f'{out}/{name}.plain.safetensors')   # keeps num_batches_tracked (I64)
        reference = {}
        q = draw(20, *shape)
        with torch.no_grad():
            reference['features'] = m.features(q)
            reference['codes'] = m.encode(reference['features']).to(torch.int64)
            for dtype, tag in ((torch.float16, 'f16'), (torch.bfloat16, 'bf16')):
                save_file({k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()}, f'{out}/{name}.{tag}.safetensors')
                rounded = copy.deepcopy(m)
                for v in rounded.state_dict().values():
                    if v.is_floating_point(): v.copy_(v.to(dtype).float())
                reference['features_' + tag] = rounded.features(q)
        reference['inputs'] = q
        save_file({k: v.contiguous() for k, v in reference.items()}, f'{out}/{name}.reference.safetensors')
    print('trained')
    """

  static func configuration(_ name: String) -> DPQConfiguration {
    var c = DPQConfiguration()
    if name == "mlp" {
      c.backbone = .mlp
      c.inputShape = [6]
      c.hiddenSizes = [12, 10]
      c.featureDimension = 5
      c.classCount = 3
      c.blockCount = 3
      c.codewordCount = 16
      c.batchNorm = true
    } else {
      c.featureDimension = 16
      c.blockCount = 2
      c.codewordCount = 8
    }
    return c
  }

  func features(_ model: DPQModel, _ inputs: Tensor) throws -> (Tensor, [[Int]]) {
    let f = try model.extractFeatures(inputs)
    let codes = try model.encode(features: f)
    return (f, (0..<codes.count).map { i in (0..<codes.blockCount).map { codes[i, $0] } })
  }

  func largestDifference(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? .infinity
  }

  @Test func aTorchModelLoadsIntoDPQBothWays() throws {
    let py = try ProjectPython.require(["torch", "safetensors", "dpq_torch"])
    let dir = NSTemporaryDirectory() + "dpq-torch-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try ProjectPython.script(py, Self.train, [dir])
    for name in ["mlp", "lenet"] {
      let config = Self.configuration(name)
      let reference = try SafeTensors.read("\(dir)/\(name).reference.safetensors")
      let inputs = try reference.tensor("inputs")
      let expected = try reference.tensor("features")
      let codes = try reference.integers("codes")
      let expectedCodes = (0..<codes.shape[0]).map { i in
        Array(codes.values[(i * codes.shape[1])..<((i + 1) * codes.shape[1])])
      }
      // Features off the tanh's flat ends and codes using several codewords: a check with bite.
      #expect(expected.scalars.contains { abs($0) > 0.05 && abs($0) < 0.95 }, "\(name): degenerate features")
      #expect(Set(expectedCodes.map { $0[0] }).count > 1, "\(name): every input got the same first code")
      let fromDPQFile = try DPQModel.load(from: "\(dir)/\(name).dpq.safetensors")
      #expect(fromDPQFile.configuration.sameArchitecture(as: config), "\(fromDPQFile.configuration.summary)")
      let fromPlainFile = try DPQModel.load(from: "\(dir)/\(name).plain.safetensors", configuration: config)
      for (how, model) in [("save_dpq", fromDPQFile), ("save_file", fromPlainFile)] {
        let (f, c) = try features(model, inputs)
        let d = largestDifference(f, expected)
        print("\(name) via \(how): features within \(d) of PyTorch's")
        #expect(d <= 1e-5, "\(name) via \(how): features differ by \(d)")
        #expect(c == expectedCodes, "\(name) via \(how): codes differ")
      }
      for tag in ["f16", "bf16"] {
        let model = try DPQModel.load(from: "\(dir)/\(name).\(tag).safetensors", configuration: config)
        let d = largestDifference(try model.extractFeatures(inputs), try reference.tensor("features_" + tag))
        #expect(d <= 1e-5, "\(name) from \(tag): features differ by \(d) from PyTorch's with the same rounded weights")
      }
    }
    // A wrong configuration is refused by tensor name, not loaded into the wrong shapes.
    var wrong = Self.configuration("mlp")
    wrong.featureDimension = 7
    #expect(throws: DataError.self) { try DPQModel.load(from: "\(dir)/mlp.plain.safetensors", configuration: wrong) }
  }

  static let load = """
    import sys, torch
    from safetensors.torch import load_file, save_file
    from dpq_torch import DPQ, load_dpq
    m = load_dpq(sys.argv[1])
    x = load_file(sys.argv[2])['inputs']
    with torch.no_grad():
        f = m.features(x)
        save_file({'features': f, 'codes': m.encode(f).to(torch.int64)}, sys.argv[3])
    # Without BatchNorm the file is a state dict as it stands.
    plain = DPQ(backbone='lenet', dim=16, classes=10, blocks=2, codewords=8)
    plain.load_state_dict(load_file(sys.argv[4]), strict=True)
    print('loaded')
    """

  @Test func aDPQModelLoadsIntoTheTorchModuleStrictly() throws {
    let py = try ProjectPython.require(["torch", "safetensors", "dpq_torch"])
    let dir = NSTemporaryDirectory() + "dpq-torch-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let model = try DPQModel(Self.configuration("mlp"), seed: 3)
    var g = RandomGenerator(seed: 4)
    for p in model.codebooks { p.value = try Tensor.randomNormal(p.value.shape, using: &g) * 0.3 }
    // A few training-mode passes give BatchNorm running statistics other than 0 and 1.
    model.train()
    for _ in 0..<3 { _ = try model.network(try Tensor.randomNormal([32, 6], using: &g) * 2 + 1) }
    model.eval()
    try model.save(to: "\(dir)/m.safetensors")
    let lenet = try DPQModel(Self.configuration("lenet"), seed: 5)
    try lenet.save(to: "\(dir)/lenet.safetensors")
    let inputs = try Tensor.randomNormal([25, 6], using: &g)
    try SafeTensors(entries: [.init(name: "inputs", tensor: inputs)]).write(to: "\(dir)/inputs.safetensors")
    try ProjectPython.script(
      py, Self.load,
      [
        "\(dir)/m.safetensors", "\(dir)/inputs.safetensors", "\(dir)/out.safetensors",
        "\(dir)/lenet.safetensors",
      ])
    let out = try SafeTensors.read("\(dir)/out.safetensors")
    let (f, c) = try features(model, inputs)
    let d = largestDifference(f, try out.tensor("features"))
    print("dpq -> PyTorch: features within \(d)")
    #expect(d <= 1e-5)
    #expect(c.flatMap { $0 } == (try out.integers("codes")).values)
  }

  static let loadEach = """
    import sys, torch
    from safetensors.torch import load_file, save_file
    from dpq_torch import load_dpq
    out = {}
    for i, path in enumerate(sys.argv[1:]):
        m = load_dpq(path)   # strict: every name and shape must match the module's
        x = load_file(path + '.inputs')['inputs']
        with torch.no_grad():
            out[f'features{i}'] = m.features(x)
    save_file(out, sys.argv[1] + '.out')
    """

  /// Every backbone with and without BatchNorm (and the MLP without dropout; ResNet-18 at 32x32):
  /// a dpq model file
  /// loads into the PyTorch module strictly and computes the same features.
  @Test func everyBackboneAndOptionHasTheSameStateDict() throws {
    let py = try ProjectPython.require(["torch", "safetensors", "dpq_torch"])
    let dir = NSTemporaryDirectory() + "dpq-torch-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var configurations: [DPQConfiguration] = []
    // AlexNet (61M parameters) has its own test in TorchvisionBackboneTests; ResNet-18 always
    // has BatchNorm, so once is enough.
    for backbone in [BackboneKind.lenet, .cifar, .mlp, .resnet18] {
      for batchNorm in backbone == .resnet18 ? [false] : [false, true] {
        var c = DPQConfiguration()
        c.backbone = backbone
        c.batchNorm = batchNorm
        c.featureDimension = 12
        c.codewordCount = 8
        c.blockCount = 2
        switch backbone {
        case .lenet: c.inputShape = [1, 28, 28]
        case .cifar: c.inputShape = [3, 32, 32]
        case .mlp:
          c.inputShape = [5]
          c.hiddenSizes = [7, 6]
          c.dropout = batchNorm ? 0.5 : 0
        case .resnet18, .alexnet: c.inputShape = [3, 32, 32]
        }
        configurations.append(c)
      }
    }
    var g = RandomGenerator(seed: 9)
    var paths: [String] = []
    var inputs: [Tensor] = []
    var models: [DPQModel] = []
    for (i, c) in configurations.enumerated() {
      let model = try DPQModel(c, seed: UInt64(i))
      model.eval()
      let path = "\(dir)/model\(i).safetensors"
      try model.save(to: path)
      let x = try Tensor.randomUniform([3] + c.inputShape, low: 0, high: 1, using: &g)
      try SafeTensors(entries: [.init(name: "inputs", tensor: x)]).write(to: path + ".inputs")
      paths.append(path)
      inputs.append(x)
      models.append(model)
    }
    try ProjectPython.script(py, Self.loadEach, paths)
    let out = try SafeTensors.read(paths[0] + ".out")
    for (i, model) in models.enumerated() {
      let d = largestDifference(try model.extractFeatures(inputs[i]), try out.tensor("features\(i)"))
      #expect(d <= 1e-5, "\(configurations[i].summary): features differ by \(d)")
    }
  }

  /// python/train_dpq.py under torchrun with two CPU processes (gloo) writes a file dpq loads,
  /// with the architecture asked for and codebooks placed by its k-means start.
  @Test func torchrunTrainingWritesAFileDPQLoads() throws {
    _ = try ProjectPython.require(["torch", "safetensors", "dpq_torch"])
    let torchrun = ProjectPython.root.appendingPathComponent(".venv/bin/torchrun").path
    let dir = NSTemporaryDirectory() + "dpq-torchrun-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let out = ProjectPython.run(
      torchrun,
      [
        "--nproc_per_node", "2", "--master_port", String(29_500 + Int(getpid() % 400)),
        ProjectPython.root.appendingPathComponent("python/train_dpq.py").path,
        "--out", "\(dir)/ddp.safetensors", "--limit", "512", "--epochs", "2", "--batch", "64",
        "--dim", "32", "--blocks", "2", "--codewords", "16",
      ])
    try #require(out.status == 0, "torchrun failed: \(out.output)")
    #expect(
      out.output.contains("(256 items in this process)"),
      "each of 2 processes should see half of 512 items: \(out.output)")
    let model = try DPQModel.load(from: "\(dir)/ddp.safetensors")
    var expected = DPQConfiguration()
    expected.featureDimension = 32
    expected.blockCount = 2
    expected.codewordCount = 16
    #expect(model.configuration.sameArchitecture(as: expected), "\(model.configuration.summary)")
    // N(0, 0.01^2) codebooks would have norms near 0.06; k-means puts codewords among features.
    let norm = model.codebooks[0].value.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot() / 4
    #expect(norm > 0.1, "codebook 0 looks untrained (norm per codeword \(norm))")
  }

  @Test func halfPrecisionValuesWidenExactly() {
    #expect(SafeTensors.floatFromHalf(0x3c00) == 1)
    #expect(SafeTensors.floatFromHalf(0xc000) == -2)
    #expect(SafeTensors.floatFromHalf(0x0001) == 0x1p-24) // smallest subnormal
    #expect(SafeTensors.floatFromHalf(0x7bff) == 65504) // largest finite
    #expect(SafeTensors.floatFromHalf(0x7c00) == .infinity)
    #expect(SafeTensors.floatFromHalf(0x7e00).isNaN)
  }
}
