import DPQData
import Foundation
import Testing

@testable import DPQQuantization

/// A model file's configuration is checked against the values the file holds before the model
/// is built: a 2.6 KB file declaring featureDimension 25,000,000 used to cost 5.7 GB first.
@Suite struct ModelFileSizeTests {
  @Test func anAbsurdFeatureDimensionIsRefusedBeforeAllocating() throws {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [12]
    c.featureDimension = 8
    c.classCount = 3
    c.blockCount = 2
    c.codewordCount = 4
    c.dropout = 0
    let dir = NSTemporaryDirectory() + "dpq-model-size-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/m.safetensors"
    try DPQModel(c).save(to: path)
    #expect(try DPQModel.load(from: path).stateDict().count > 0)

    var file = try SafeTensors.read(path)
    var huge = c
    huge.featureDimension = 25_000_000
    file.metadata["configuration"] = String(decoding: try JSONEncoder().encode(huge), as: UTF8.self)
    try file.write(to: path)
    do {
      _ = try DPQModel.load(from: path)
      Issue.record("a model of featureDimension 25,000,000 was built from a small file")
    } catch let e as DataError {
      #expect("\(e)".contains("needs more values than the file's"), "\(e)")
    }
  }
}
