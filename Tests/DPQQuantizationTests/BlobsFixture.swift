import DPQTensor
@testable import DPQQuantization

/// Gaussian blobs as the language's `blobs(n:, classes:, dim:, seed:)` makes them (centres
/// 2 * N(0, 1), spread 0.5, item i of class i % classes), and the recommended configuration of a
/// BatchNorm MLP model for them, for the trainer tests.
enum BlobsFixture {
  static func data(n: Int, classes: Int, dim: Int, seed: UInt64) -> (x: Tensor, labels: [Int]) {
    var g = RandomGenerator(seed: seed)
    let centres = (0..<(classes * dim)).map { _ in 2 * g.nextNormal() }
    let y = (0..<n).map { $0 % classes }
    let x = Tensor(shape: [n, dim]) { out in
      for i in 0..<n { for j in 0..<dim { out[i * dim + j] = centres[y[i] * dim + j] + 0.5 * g.nextNormal() } }
    }
    return (x, y)
  }

  static func configuration(dim: Int, classes: Int, codewords: Int) -> DPQConfiguration {
    var c = DPQConfiguration.recommended
    c.backbone = .mlp
    c.inputShape = [dim]
    c.hiddenSizes = [16]
    c.featureDimension = 8
    c.classCount = classes
    c.blockCount = 2
    c.codewordCount = codewords
    return c
  }
}
