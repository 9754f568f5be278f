import DPQData
import DPQQuantization
import DPQTensor
import Foundation
import Testing

/// DPQ model files against Python's `safetensors.numpy` (the project's .venv from scripts/setup):
/// the parameter names and layouts are PyTorch's, so a NumPy forward pass written from those
/// conventions alone (Linear weight [out, in], `codebooks.{m}` [K, D]) must give dpq's features
/// and codes, in both directions.
@Suite struct ModelInteropTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Set DPQ_SKIP_INTEROP=1 to skip these tests knowingly; otherwise a missing .venv fails them.
  static let skipInterop = ProcessInfo.processInfo.environment["DPQ_SKIP_INTEROP"] == "1"

  /// The .venv interpreter when it has numpy and safetensors, else nil (the test fails).
  static func python() -> String? {
    let py = root.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: py) else { return nil }
    return (try? run(py, ["-c", "import safetensors, numpy"]))?.status == 0 ? py : nil
  }

  static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// A NumPy DPQ forward pass for the MLP backbone: features, then residual L2 encoding. It reads
  /// the model from argv[1] and the inputs from argv[2] and prints JSON.
  static let numpyForward = """
    import json, sys
    import numpy as np
    from safetensors.numpy import load_file
    p = load_file(sys.argv[1]); x = load_file(sys.argv[2])['inputs'].astype(np.float64)
    h = np.maximum(x @ p['backbone.fc1.weight'].T + p['backbone.fc1.bias'], 0)
    h = np.maximum(h @ p['backbone.fc2.weight'].T + p['backbone.fc2.bias'], 0)
    f = np.tanh(h @ p['feature.weight'].T + p['feature.bias'])
    logits = f @ p['classifier.weight'].T + p['classifier.bias']
    r, codes = f.copy(), []
    for m in range(len([k for k in p if k.startswith('codebooks.')])):
        c = p['codebooks.%d' % m].astype(np.float64)
        b = np.argmin(((r[:, None, :] - c[None, :, :]) ** 2).sum(-1), axis=1)
        codes.append(b.tolist()); r = r - c[b]
    print(json.dumps({'features': f.ravel().tolist(), 'logits': logits.ravel().tolist(),
                      'codes': np.array(codes).T.ravel().tolist()}))
    """

  func model(seed: UInt64) throws -> DPQModel {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [12, 10]
    c.featureDimension = 5
    c.classCount = 3
    c.blockCount = 3
    c.codewordCount = 16
    c.dropout = 0
    let m = try DPQModel(c, seed: seed)
    // Spread the codebooks (they start at N(0, 0.01^2)) so that the codes carry information.
    var g = RandomGenerator(seed: seed &+ 1)
    for p in m.codebooks { p.value = try Tensor.randomNormal(p.value.shape, using: &g) * 0.5 }
    m.eval()
    return m
  }

  func forward(_ py: String, model path: String, inputs: String) throws -> (
    features: [Float], logits: [Float], codes: [Int]
  ) {
    let out = try Self.run(py, ["-c", Self.numpyForward, path, inputs])
    try #require(out.status == 0, "\(out.output)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [String: [Double]])
    return (json["features"]!.map(Float.init), json["logits"]!.map(Float.init), json["codes"]!.map { Int($0) })
  }

  @Test(.disabled(if: Self.skipInterop, "DPQ_SKIP_INTEROP is set")) func numpyReadsADPQModelAndAgrees() throws {
    guard let py = Self.python() else {
      Issue.record(
        "the Python interop environment (.venv with numpy and safetensors) is missing: run scripts/setup, or set DPQ_SKIP_INTEROP=1 to skip this test knowingly"
      )
      return
    }
    let dir = NSTemporaryDirectory() + "dpq-interop-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let m = try model(seed: 11)
    var g = RandomGenerator(seed: 12)
    let inputs = try Tensor.randomNormal([20, 6], using: &g)
    try m.save(to: dir + "/model.safetensors")
    try SafeTensors(entries: [SafeTensors.Entry(name: "inputs", tensor: inputs)]).write(to: dir + "/inputs.safetensors")

    let theirs = try forward(py, model: dir + "/model.safetensors", inputs: dir + "/inputs.safetensors")
    let features = try m.extractFeatures(inputs)
    let logits = try Tensor.withNoGrad { try m.network.logits(features: features) }
    #expect(zip(features.scalars, theirs.features).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(zip(logits.scalars, theirs.logits).allSatisfy { abs($0 - $1) < 1e-4 })
    #expect(try m.encode(features: features).values == theirs.codes)
  }

  @Test(.disabled(if: Self.skipInterop, "DPQ_SKIP_INTEROP is set")) func aModelWrittenByNumpyLoadsIntoDPQ() throws {
    guard let py = Self.python() else {
      Issue.record(
        "the Python interop environment (.venv with numpy and safetensors) is missing: run scripts/setup, or set DPQ_SKIP_INTEROP=1 to skip this test knowingly"
      )
      return
    }
    let dir = NSTemporaryDirectory() + "dpq-interop-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let template = try model(seed: 21)
    try template.save(to: dir + "/template.safetensors")
    // Python writes new weights under the same names and shapes, with dpq's metadata (the
    // configuration a PyTorch user copies from a dpq file or writes by hand).
    let write = try Self.run(
      py,
      [
        "-c",
        """
        import sys
        import numpy as np
        from safetensors import safe_open
        from safetensors.numpy import load_file, save_file
        meta = safe_open(sys.argv[1], 'np').metadata()
        rng = np.random.default_rng(5)
        new = {k: rng.normal(0, 0.6, v.shape).astype(np.float32) for k, v in load_file(sys.argv[1]).items()}
        save_file(new, sys.argv[2], metadata=meta)
        """, dir + "/template.safetensors", dir + "/python.safetensors",
      ])
    try #require(write.status == 0, "\(write.output)")

    let loaded = try DPQModel.load(from: dir + "/python.safetensors", expecting: template.configuration)
    #expect(loaded.stateDict().map(\.0) == template.stateDict().map(\.0))
    var g = RandomGenerator(seed: 22)
    let inputs = try Tensor.randomNormal([20, 6], using: &g)
    try SafeTensors(entries: [SafeTensors.Entry(name: "inputs", tensor: inputs)]).write(to: dir + "/inputs.safetensors")
    let theirs = try forward(py, model: dir + "/python.safetensors", inputs: dir + "/inputs.safetensors")
    let features = try loaded.extractFeatures(inputs)
    #expect(zip(features.scalars, theirs.features).allSatisfy { abs($0 - $1) < 1e-5 })
    #expect(try loaded.encode(features: features).values == theirs.codes)
  }
}
