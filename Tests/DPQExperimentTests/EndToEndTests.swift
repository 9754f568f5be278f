import DPQData
import DPQNN
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Testing

@Suite struct EndToEndTests {
  /// Separable synthetic clusters: 4 classes around well-separated centres in 10-d.
  func clusters(perClass: Int, seed: UInt64) throws -> (Tensor, [Int]) {
    var g = RandomGenerator(seed: seed)
    var centreGenerator = RandomGenerator(seed: 99)
    let centres = try Tensor.randomNormal([4, 10], std: 3, using: &centreGenerator)
    var rows: [Float] = []
    var labels: [Int] = []
    for i in 0..<(4 * perClass) {
      let c = i % 4
      for j in 0..<10 { rows.append(try centres.value(at: [c, j]) + 0.5 * g.nextNormal()) }
      labels.append(c)
    }
    return (try Tensor(shape: [4 * perClass, 10], scalars: rows), labels)
  }

  @Test func dpqOnSeparableClustersReachesHighMAP() throws {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [10]
    c.hiddenSizes = [32]
    c.featureDimension = 16
    c.classCount = 4
    c.blockCount = 4
    c.codewordCount = 16
    c.dropout = 0
    var o = DPQTrainingOptions()
    o.epochs = 12
    o.batchSize = 32
    o.seed = 5
    let model = try DPQModel(c, seed: 5)
    let trainer = try DPQTrainer(model: model, options: o)
    let (x, y) = try clusters(perClass: 100, seed: 1)
    let logs = try trainer.fit(inputs: x, labels: y)
    #expect(logs.count == 12)
    #expect(logs.last!.stage == 2)

    let (qx, qy) = try clusters(perClass: 25, seed: 2)
    let codes = try model.encode(features: model.extractFeatures(x))
    let index = try Index(quantizer: model.quantizer, codes: codes)
    let relevance = Relevance(queries: try LabelSets(labels: qy), database: try LabelSets(labels: y))
    let ev = try index.evaluate(queries: model.extractFeatures(qx), relevance: relevance, blocksList: [1, 2, 3, 4])
    let map32 = try #require(ev.codeLength(blocks: 4)).meanAveragePrecision
    #expect(map32 > 0.95, "\(ev)")
  }
}
