import DPQData
import DPQExperiment
import DPQQuantization
import DPQTensor
import Foundation
import Testing

/// The reference experiment on data that is not Fashion-MNIST (`Options.data`, `dpq experiment
/// --data`): the model follows the data, and every baseline runs as on the protocols.
@Suite struct OwnDataExperimentTests {
  /// 16 classes in 4 groups of 4: group centres far apart, class centres nearer inside a group,
  /// items around their class centre. A block of 4 codewords can tell the groups apart but not
  /// the 16 classes; two blocks (16 codes) can.
  static func nestedClasses(perClass: Int, dimension: Int = 12, seed: UInt64) throws -> LabelledDataset {
    var g = RandomGenerator(seed: seed)
    let groups = (0..<4).map { _ in (0..<dimension).map { _ in 4 * g.nextNormal() } }
    let classes = (0..<16).map { c in groups[c / 4].map { $0 + 1.5 * g.nextNormal() } }
    var values: [Float] = []
    var labels: [Int] = []
    for i in 0..<(16 * perClass) {
      let c = i % 16
      values += classes[c].map { $0 + 0.6 * g.nextNormal() }
      labels.append(c)
    }
    return try LabelledDataset(
      name: "nested", features: Tensor(shape: [labels.count, dimension], scalars: values), labels: labels)
  }

  static func options(_ split: Split) -> ReferenceExperiment.Options {
    var o = ReferenceExperiment.Options()
    o.data = split
    o.model.featureDimension = 16
    o.model.hiddenSizes = [32]
    o.model.blockCount = 3
    o.model.codewordCount = 4
    o.model.dropout = 0
    o.training.epochs = 30
    o.training.batchSize = 32
    o.opqIterations = 3
    return o
  }

  @Test func dpqOnNestedClassesGainsWithEveryBlock() throws {
    let data = try Self.nestedClasses(perClass: 40, seed: 3)
    let split = try Splits.retrieval(data, seed: 7)
    #expect(split.query.count == 16 * 4 && split.train.count == 16 * 20)
    var run = ReferenceExperiment(options: Self.options(split))
    run.report = { _ in }
    let result = try run.run()
    // The model followed the data: an MLP on 12-d vectors, 16 classes, 2 bits a block.
    #expect(result.protocolName == "data" && result.bits == [2, 4, 6])
    let dpq = try #require(result.rows.first { $0.method == "DPQ" })
    let (m1, m2, m3) = (dpq.map[2]!, dpq.map[4]!, dpq.map[6]!)
    // One block resolves the groups only; the second resolves the classes within them; a third
    // must not lose what the second gained (PAPER.md: each block refines the last). With the
    // recipe's ranking term the second block gains less here (+0.07 against +0.13 without it,
    // docs/dpq.md): ranking by 4-codeword prefixes pulls the features of a group's classes
    // together. So: rising with every block by default, and PAPER.md's objective's full gain below.
    #expect(m2 > m1 + 0.03 && m3 > m2, "mAP \(m1) -> \(m2) -> \(m3)")
    var paper = Self.options(split)
    paper.training.rankingWeight = 0
    var plain = ReferenceExperiment(options: paper)
    plain.report = { _ in }
    let without = try #require(try plain.run().rows.first { $0.method == "DPQ" })
    let (p1, p2, p3) = (without.map[2]!, without.map[4]!, without.map[6]!)
    #expect(p2 > p1 + 0.1, "mAP without the ranking term \(p1) -> \(p2)")
    #expect(p3 >= p2 - 0.002, "mAP without the ranking term \(p2) -> \(p3)")
    // Every method appears in every ranking, and PQ-raw ran on the 12 raw values.
    for ranking in ReferenceExperiment.Ranking.allCases {
      let methods = Set(result.rows.filter { $0.ranking == ranking }.map(\.baseMethod))
      #expect(methods.isSuperset(of: ["DPQ", "PQ", "OPQ", "RQ"]), "\(ranking): \(methods)")
    }
    #expect(result.rows.contains { $0.baseMethod == "PQ-raw" && $0.map.count == 3 })
    #expect(result.notes.contains { $0.contains("the 12 raw input values") })
    #expect(result.comparisons.count == 3 * 3)
  }

  @Test func theModelFollowsTheDataOrSaysWhyNot() throws {
    let base = DPQConfiguration.recommended
    let vectors = try LabelledDataset(features: Tensor.zeros([4, 7]), labels: [0, 1, 2, 2])
    let c = try ReferenceExperiment.configuration(base, fitting: vectors)
    #expect(c.backbone == .mlp && c.inputShape == [7] && c.classCount == 3)
    let images = try LabelledDataset(features: Tensor.zeros([2, 3, 32, 32]), labels: [0, 1])
    #expect(try ReferenceExperiment.configuration(base, fitting: images).backbone == .cifar)
    let odd = try LabelledDataset(features: Tensor.zeros([2, 2, 5, 5]), labels: [0, 1])
    #expect(throws: ExperimentError.self) { try ReferenceExperiment.configuration(base, fitting: odd) }
  }

  @Test func aDataFileLoadsByItsNameAndReshapes() throws {
    let dir = NSTemporaryDirectory() + "dpq-own-data-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let csv = dir + "/items.csv"
    try "a,b,c,d,label\n0,1,2,3,1\n4,5,6,7,0\n8,9,10,11,1\n".write(toFile: csv, atomically: true, encoding: .utf8)
    let d = try DatasetFile.load(csv, shape: [1, 2, 2])
    #expect(d.features.shape == [3, 1, 2, 2] && d.labels == [1, 0, 1])
    #expect(throws: DataError.self) { try DatasetFile.load(csv, shape: [3]) }
    // features .npy with a .npy of labels; a count mismatch names both
    let x = dir + "/x.npy"
    let y = dir + "/y.npy"
    let bad = dir + "/bad.npy"
    try NPY.write(Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]), to: x)
    try NPY.write(Tensor(shape: [3], scalars: [2, 0, 1]), to: y)
    try NPY.write(Tensor(shape: [2], scalars: [0, 1]), to: bad)
    let e = try DatasetFile.load(x, labels: y)
    #expect(e.labels == [2, 0, 1] && e.classCount == 3)
    #expect(throws: DataError.self) { try DatasetFile.load(x, labels: bad) }
    #expect(throws: DataError.self) { try DatasetFile.load(x) }
  }

  @Test func anImageFolderRunsTheExperimentWithTheCNNItFits() throws {
    let dir = NSTemporaryDirectory() + "dpq-own-images-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    // two classes of 12x12 grey images: a bright square at the top left or at the bottom right
    for (c, name) in ["top", "bottom"].enumerated() {
      try FileManager.default.createDirectory(atPath: dir + "/" + name, withIntermediateDirectories: true)
      for i in 0..<12 {
        var pixels = [Float](repeating: 0.1, count: 144)
        for y in 0..<5 {
          for x in 0..<5 { pixels[(c == 0 ? y : 7 + y) * 12 + (c == 0 ? x : 7 + x)] = 0.9 - Float(i) * 0.02 }
        }
        try pixels.withUnsafeBufferPointer {
          try ImageCodec.writePNG($0, channels: 1, height: 12, width: 12, to: "\(dir)/\(name)/\(i).png")
        }
      }
    }
    var grey = ImageTransform(channels: 1)
    grey.size = [28, 28]
    let data = try DatasetFile.load(dir, images: grey)
    #expect(data.features.shape == [24, 1, 28, 28] && data.classNames == ["bottom", "top"])
    var o = Self.options(try Splits.retrieval(data, seed: 7))
    o.model.backbone = .mlp // the data decides: [1, 28, 28] items take LeNet whatever was asked
    o.training.epochs = 2
    o.baselines = false
    var run = ReferenceExperiment(options: o)
    run.report = { _ in }
    let (result, artifacts) = try run.runKeepingArtifacts()
    #expect(artifacts.model.configuration.backbone == .lenet && artifacts.model.configuration.classCount == 2)
    #expect(result.rows.contains { $0.method == "DPQ" && $0.map.count == 3 })
  }
}
