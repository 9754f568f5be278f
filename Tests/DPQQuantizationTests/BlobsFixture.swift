import DPQData
import DPQTensor

@testable import DPQQuantization

/// Gaussian blobs of the library (`LabelledDataset.blobs`, the language's `blobs()`: centres
/// 2 * N(0, 1), spread 0.5, item i of class i % classes), and the recommended configuration of a
/// BatchNorm MLP model for them, for the trainer tests.
enum BlobsFixture {
  static func data(n: Int, classes: Int, dim: Int, seed: UInt64) -> (x: Tensor, labels: [Int]) {
    let d = try! LabelledDataset.blobs(n: n, classes: classes, dimension: dim, seed: seed)
    return (d.features, d.labels)
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
