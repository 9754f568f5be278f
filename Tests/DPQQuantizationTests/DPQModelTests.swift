import DPQNN
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

@Suite struct DPQModelTests {
  func mlpConfiguration(d: Int = 8, blocks: Int = 3, k: Int = 16, similarity: Similarity = .negativeSquaredL2)
    -> DPQConfiguration
  {
    var c = DPQConfiguration()
    c.backbone = .mlp
    c.inputShape = [6]
    c.hiddenSizes = [12]
    c.featureDimension = d
    c.classCount = 3
    c.blockCount = blocks
    c.codewordCount = k
    c.similarity = similarity
    c.dropout = 0
    return c
  }

  @Test(arguments: Similarity.allCases)
  func quantizationBlockGradients(similarity: Similarity) throws {
    var g = RandomGenerator(seed: 11)
    let r = try Tensor.randomNormal([5, 4], using: &g)
    let c = try Tensor.randomNormal([6, 4], using: &g)
    // soft quantization: differentiable in the residual and the codebook
    let soft = try Tensor.checkGradients(
      of: {
        try ProgressiveQuantization.quantize($0[0], codebook: $0[1], similarity: similarity, gamma: 2).soft
      }, at: [r, c], epsilon: 1e-3)
    #expect(soft.maxError < 2e-2, "\(soft)")
    // hard quantization: the argmax is piecewise constant, the codeword gather differentiable in C
    let hard = try Tensor.checkGradients(
      of: {
        try ProgressiveQuantization.quantize(r, codebook: $0[0], similarity: similarity, gamma: 2).hard
      }, at: [c], epsilon: 1e-3)
    #expect(hard.maxError < 2e-2, "\(hard)")
  }

  @Test func everyLossHasCorrectGradients() throws {
    var g = RandomGenerator(seed: 12)
    let x = try Tensor.randomNormal([4, 3], using: &g)
    let books = try (0..<3).map { _ in try Tensor.randomNormal([5, 3], using: &g) }
    let pick: [(ProgressiveQuantization.Losses) -> Tensor] = [{ $0.soft }, { $0.hard }, { $0.joint }]
    for (i, f) in pick.enumerated() {
      let r = try Tensor.checkGradients(
        of: { t in
          let o = try ProgressiveQuantization.forward(
            t[0], codebooks: Array(t[1...]), similarity: .negativeSquaredL2, gamma: 1.5)
          return f(try ProgressiveQuantization.losses(features: t[0], o))
        }, at: [x] + books, epsilon: 1e-3)
      #expect(r.maxError < 2e-2, "loss \(i): \(r)")
    }
  }

  @Test func lossesMatchTheirDefinitions() throws {
    // one block, K = 2, codewords e1 and -e1; x = (2, 0): hard picks e1, residual (1, 0)
    let x = try Tensor(shape: [1, 2], scalars: [2, 0])
    let c = try Tensor(shape: [2, 2], scalars: [1, 0, -1, 0])
    let o = try ProgressiveQuantization.forward(x, codebooks: [c], similarity: .negativeSquaredL2, gamma: 1)
    #expect(o.codes == [[0]])
    #expect(o.hardReconstructions[0].scalars == [1, 0])
    // s = 2 x.c - |c|^2 = (3, -5); p = softmax(3, -5); q_s = p0 * e1 - p1 * e1
    let p0 = 1 / (1 + Float(Foundation.exp(-8.0)))
    let qs = p0 - (1 - p0)
    let l = try ProgressiveQuantization.losses(features: x, o)
    #expect(abs(try l.hard.item() - 0.5) < 1e-6) // mean((2-1)^2, 0^2)
    #expect(abs(try l.soft.item() - (2 - qs) * (2 - qs) / 2) < 1e-5)
    #expect(abs(try l.joint.item() - (qs - 1) * (qs - 1) / 2) < 1e-5)
  }

  @Test func encodeDecodeRoundTripAndDistortionFallsWithBlocks() throws {
    let model = try DPQModel(mlpConfiguration(d: 8, blocks: 4, k: 16), seed: 3)
    var g = RandomGenerator(seed: 4)
    let x = try Tensor.randomNormal([200, 8], using: &g)
    // residual k-means codebooks, as the trainer initialises them
    let trainer = try DPQTrainer(model: model)
    try trainer.initialiseCodebooks(features: x)
    let codes = try model.encode(features: x)
    #expect(codes.count == 200 && codes.blockCount == 4)
    // decoding equals summing the chosen codewords by hand
    let d2 = try model.decode(codes, blocks: 2)
    for i in [0, 57, 199] {
      for j in 0..<8 {
        let want = try model.codebook(1).value(at: [codes[i, 0], j]) + model.codebook(2).value(at: [codes[i, 1], j])
        #expect(abs(try d2.value(at: [i, j]) - want) < 1e-5)
      }
    }
    let distortion = try model.relativeDistortion(features: x)
    #expect(distortion.count == 4)
    for m in 1..<4 { #expect(distortion[m] <= distortion[m - 1] + 1e-6, "\(distortion)") }
    #expect(distortion[3] < distortion[0])
  }

  @Test func stateDictNamesFollowPyTorchConventions() throws {
    var c = DPQConfiguration()
    c.blockCount = 2
    let model = try DPQModel(c, seed: 1)
    let names = model.stateDict().map(\.0)
    #expect(names.contains("backbone.conv1.weight"))
    #expect(names.contains("feature.weight"))
    #expect(names.contains("classifier.bias"))
    #expect(names.contains("codebooks.1"))
    let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
    #expect(shapes["backbone.conv1.weight"] == [32, 1, 5, 5])
    #expect(shapes["backbone.fc1.weight"] == [512, 1024])
    #expect(shapes["feature.weight"] == [300, 512])
    #expect(shapes["codebooks.0"] == [256, 300])
  }
}
