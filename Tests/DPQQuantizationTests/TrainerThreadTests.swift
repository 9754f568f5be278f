import DPQTensor
import Testing

@testable import DPQNN
@testable import DPQQuantization

/// A training run's parameters do not depend on the number of threads: inside a training step
/// OpenBLAS is single-threaded, the convolutions split their work so that every sum keeps its
/// order, and large products run as fixed row pieces (`Parallel`).
@Suite struct TrainerThreadTests {
  func trainedParameters(workers: Int) throws -> [[Float]] {
    let saved = Parallel.maximum
    defer { Parallel.maximum = saved }
    Parallel.maximum = workers
    var c = DPQConfiguration()
    c.classCount = 3
    c.featureDimension = 32
    c.blockCount = 2
    c.codewordCount = 16
    var o = DPQTrainingOptions()
    o.epochs = 2
    o.batchSize = 32
    o.mode = .endToEnd
    o.warmupEpochs = 1
    o.codebookInitialisation = .random
    let model = try DPQModel(c, seed: 3)
    var g = RandomGenerator(seed: 4)
    let x = try Tensor.randomUniform([64, 1, 28, 28], using: &g)
    let labels = (0..<64).map { $0 % 3 }
    try DPQTrainer(model: model, options: o).fit(inputs: x, labels: labels)
    return model.namedParameters().map { $0.1.value.scalars }
  }

  @Test func parametersAreTheSameWithOneAndTwoWorkers() throws {
    let one = try trainedParameters(workers: 1)
    let two = try trainedParameters(workers: 2)
    #expect(one == two)
  }
}
