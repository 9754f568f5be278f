import DPQData
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation
import Testing

@Suite struct ModelAndIndexFileTests {
  func tempPath(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "dpq-files-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir + "/" + name
  }

  /// Removes the directory `tempPath` made for `path`.
  func removeDirectory(of path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
  }

  func smallModel(seed: UInt64) throws -> DPQModel {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [10]
    c.featureDimension = 5
    c.classCount = 3
    c.blockCount = 3
    c.codewordCount = 8
    c.batchNorm = true
    return try DPQModel(c, seed: seed)
  }

  @Test func modelSaveLoadSearchIsIdentical() throws {
    let model = try smallModel(seed: 1)
    var g = RandomGenerator(seed: 2)
    let inputs = try Tensor.randomNormal([40, 6], using: &g)
    let path = try tempPath("m.safetensors")
    defer { removeDirectory(of: path) }
    try model.save(to: path)
    let back = try DPQModel.load(from: path, expecting: model.configuration)
    for ((n1, t1), (n2, t2)) in zip(model.stateDict(), back.stateDict()) {
      #expect(n1 == n2)
      #expect(t1 == t2, "\(n1)")
    }
    let codes1 = try model.encode(inputs: inputs)
    let codes2 = try back.encode(inputs: inputs)
    #expect(codes1 == codes2)
    let q = try Tensor.randomNormal([4, 5], using: &g)
    let r1 = try Index(quantizer: model.quantizer, codes: codes1).search(queries: q, k: 5)
    let r2 = try Index(quantizer: back.quantizer, codes: codes2).search(queries: q, k: 5)
    #expect(r1.ids == r2.ids && r1.scores == r2.scores)

    var other = model.configuration
    other.blockCount = 4
    #expect(throws: DataError.self) { try DPQModel.load(from: path, expecting: other) }
  }

  @Test func indexSaveLoadSearchIsIdentical() throws {
    let model = try smallModel(seed: 3)
    var g = RandomGenerator(seed: 4)
    let codes = try model.encode(inputs: Tensor.randomNormal([50, 6], using: &g))
    let index = try Index(quantizer: model.quantizer, codes: codes, metric: .squaredL2)
    let path = try tempPath("i.safetensors")
    defer { removeDirectory(of: path) }
    try index.save(to: path)
    let back = try Index.load(from: path)
    let q = try Tensor.randomNormal([3, 5], using: &g)
    for blocks in 1...3 {
      let a = try index.search(queries: q, k: 10, blocks: blocks)
      let b = try back.search(queries: q, k: 10, blocks: blocks)
      #expect(a.ids == b.ids && a.scores == b.scores)
    }
  }

  @Test func corruptOrForeignFilesAreRefusedWithTheirName() throws {
    let model = try smallModel(seed: 5)
    let path = try tempPath("m.safetensors")
    defer { removeDirectory(of: path) }
    try model.save(to: path)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    // truncated
    let cut = try tempPath("cut.safetensors")
    defer { removeDirectory(of: cut) }
    try Data(bytes.prefix(bytes.count - 10)).write(to: URL(fileURLWithPath: cut))
    do {
      _ = try DPQModel.load(from: cut)
      Issue.record("accepted a truncated model")
    } catch {
      #expect("\(error)".contains("cut.safetensors") && "\(error)".contains("truncated"), "\(error)")
    }
    // a valid safetensors file that is not a dpq model
    let foreign = try tempPath("foreign.safetensors")
    defer { removeDirectory(of: foreign) }
    try SafeTensors(entries: [.init(name: "w", tensor: Tensor([1, 2]))]).write(to: foreign)
    do {
      _ = try DPQModel.load(from: foreign)
      Issue.record("accepted a foreign file")
    } catch {
      #expect("\(error)".contains("foreign.safetensors") && "\(error)".contains("not a dpq model"), "\(error)")
    }
    do {
      _ = try Index.load(from: path)
      Issue.record("accepted a model as an index")
    } catch {
      #expect("\(error)".contains("not a dpq index"), "\(error)")
    }
  }
}
