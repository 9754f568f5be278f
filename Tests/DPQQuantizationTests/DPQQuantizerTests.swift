import DPQTensor
import Testing

@testable import DPQQuantization

@Suite struct DPQQuantizerTests {
  static let (d, m, k) = (16, 3, 32)

  func trained(epochs: Int = 4) throws -> (DPQQuantizer, Tensor, TrainingReport) {
    let x = try TestData.rotatedAnisotropic(1_500, Self.d, seed: 401)
    var q = try DPQQuantizer(dimension: Self.d, blockCount: Self.m, codewordCount: Self.k, epochs: epochs, seed: 4)
    let report = try q.train(x)
    return (q, x, report)
  }

  /// The quantizer of a model encodes, decodes and searches as the model itself does.
  @Test func aModelsQuantizerIsTheModel() throws {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [10]
    c.featureDimension = 5
    c.classCount = 3
    c.blockCount = 3
    c.codewordCount = 8
    let model = try DPQModel(c, seed: 5)
    var g = RandomGenerator(seed: 6)
    for p in model.codebooks { p.value = try Tensor.randomNormal(p.value.shape, using: &g) * 0.5 }
    let features = try Tensor.randomNormal([50, 5], using: &g)
    let q = try model.quantizer
    #expect(q.isTrained && q.configuration["type"] == "dpq")
    let codes = try q.encode(features)
    #expect(codes == (try model.encode(features: features)))
    // decode: the sum of the named codewords, prefix by prefix
    let books = model.codebooks.map { $0.value.scalars }
    for blocks in 1...3 {
      let y = try q.decode(codes.prefix(blocks: blocks)).scalars
      for i in 0..<50 {
        for j in 0..<5 {
          let v = (0..<blocks).reduce(Float(0)) { $0 + books[$1][codes[i, $1] * 5 + j] }
          #expect(abs(v - y[i * 5 + j]) < 1e-6)
        }
      }
    }
  }

  /// Training: residual k-means, then Adam lowers the quantization loss, and the distortion falls
  /// as blocks are added (the defining property of a progressive quantizer).
  @Test func trainingLowersTheLossAndEveryBlockHelps() throws {
    let (q, x, report) = try trained()
    let losses = report.objectives(phase: "codebooks")
    #expect(losses.count == 4)
    #expect(losses.last! < losses.first!, "\(losses)")
    let codes = try q.encode(x)
    let total = x.scalars.reduce(0.0) { $0 + Double($1) * Double($1) }
    let distortion = try (1...Self.m).map { b in try x.sumSquaredDifference(q.decode(codes.prefix(blocks: b))) / total }
    #expect(distortion[0] < 1)
    for b in 1..<Self.m { #expect(distortion[b] < distortion[b - 1], "\(distortion)") }
  }

  /// configuration + stateTensors rebuild the same quantizer through the loader.
  @Test func loaderRoundTripAndErrors() throws {
    let (q, x, _) = try trained(epochs: 1)
    let back = try QuantizerLoader.load(configuration: q.configuration, tensors: q.stateTensors())
    #expect(back is DPQQuantizer)
    #expect(try back.encode(x) == q.encode(x))
    var bad = q.configuration
    bad["similarity"] = "hamming"
    #expect(throws: QuantizationError.self) { try QuantizerLoader.load(configuration: bad, tensors: q.stateTensors()) }
    #expect(throws: QuantizationError.self) {
      try DPQQuantizer(dimension: 4, blockCount: 2, codewordCount: 8).encode(Tensor.zeros([1, 4]))
    }
  }
}
