import DPQData
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// Quantizer files round-trip every quantizer bit for bit and refuse other formats and newer
/// versions with a message naming the file.
@Suite struct QuantizerFileTests {
  @Test func filesRoundTripAndRefuseOtherFormatsAndVersions() throws {
    let dir = NSTemporaryDirectory() + "dpq-quantizer-file-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var rng = RandomGenerator(seed: 3)
    let x = try Tensor.randomNormal([300, 8], using: &rng)
    var pq = try ProductQuantizer(dimension: 8, subspaceCount: 2, codewordCount: 8)
    try pq.train(x, control: TrainingControl())
    var rq = try ResidualQuantizer(dimension: 8, blockCount: 2, codewordCount: 8)
    try rq.train(x, control: TrainingControl())
    for q in [pq, rq] as [any VectorQuantizer] {
      let path = dir + "/\(q.name).safetensors"
      try QuantizerFile.save(q, to: path)
      let loaded = try QuantizerFile.load(from: path)
      #expect(loaded.name == q.name)
      #expect(try loaded.encode(x) == (try q.encode(x)))
      #expect(try loaded.decode(try q.encode(x)).scalars == (try q.decode(try q.encode(x))).scalars)
    }

    // A newer version, a missing one, and another format are refused, naming the file.
    let good = try SafeTensors.read(dir + "/PQ.safetensors")
    for (name, change, words) in [("newer", "2", "format version 2"), ("missing", nil, "format version missing")]
      as [(String, String?, String)]
    {
      var meta = good.metadata
      meta["format_version"] = change
      let path = dir + "/\(name).safetensors"
      try SafeTensors(
        entries: try good.entries.map {
          SafeTensors.Entry(name: $0.name, tensor: try good.tensor($0.name, path: path))
        },
        metadata: meta
      ).write(to: path)
      #expect { _ = try QuantizerFile.load(from: path) } throws: { "\($0)".contains(path) && "\($0)".contains(words) }
    }
    var other = good.metadata
    other["format"] = "dpq-model"
    let model = dir + "/model.safetensors"
    try SafeTensors(
      entries: try good.entries.map { SafeTensors.Entry(name: $0.name, tensor: try good.tensor($0.name, path: model)) },
      metadata: other
    ).write(to: model)
    #expect { _ = try QuantizerFile.load(from: model) } throws: {
      "\($0)".contains(model) && "\($0)".contains("not a dpq quantizer file")
    }
  }
}
