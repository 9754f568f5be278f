import ArgumentParser
import DPQData
import DPQQuantization
import DPQTensor
import Foundation

/// `dpq bench train`: images per second of DPQ training steps (forward, all losses, backward,
/// SGD on the network and Adam on the codebooks) in stage 2 with the trainer's default options
/// (the quantization losses train the codebooks only), the peer of
/// scripts/peers/torch_dpq.py. The model is the reference one (LeNet backbone, D = 300, M = 4,
/// K = 256, l2 similarity, dropout 0.5); inputs are the first `steps * batch` normalised FM-5k
/// training images of `prepare` (random images when the data is absent).
extension BenchCommand {
  func benchTrain() throws -> BenchReport {
    var report = BenchReport(suite: "train")
    let count = steps * batch
    let (trainer, inputs, labels, source) = try makeBenchTrainer()
    let options = trainer.options
    var rates: [Double] = []
    try trainer.fit(inputs: inputs, labels: labels) { line in
      if line.epoch > 1 { rates.append(Double(count) / line.seconds) }
    }
    report.add(BenchMeasurement(
      workload: "train/dpq-step", unit: "images/s", higherIsBetter: true, values: rates,
      info: ["batch": batch, "steps_per_run": steps, "threads": BLAS.threadCount, "inputs": source,
             "quantization_reaches_network": options.quantizationReachesNetwork,
             "model": "LeNet, D=300, M=4, K=256, l2, dropout 0.5", "stage": 2]))
    return report
  }

  /// The train suite's trainer and inputs: the reference model, stage 2 from the first step,
  /// random codebooks, one untimed warm-up epoch and then one epoch per run.
  func makeBenchTrainer() throws -> (DPQTrainer, Tensor, [Int], String) {
    let (inputs, labels, source) = try trainingBatch(count: steps * batch)
    let model = try DPQModel(DPQConfiguration(), seed: 0)
    var options = DPQTrainingOptions()
    options.batchSize = batch
    options.mode = .endToEnd
    options.warmupEpochs = 0                     // stage 2 (network and codebooks) from the first step
    options.codebookInitialisation = .random     // no k-means: the timed work is the training step
    options.epochs = 1 + runs                    // one untimed warm-up epoch, then one per run
    return (try DPQTrainer(model: model, options: options), inputs, labels, source)
  }

  /// `count` images and labels: the prepared FM-5k training images, repeated if needed.
  func trainingBatch(count: Int) throws -> (Tensor, [Int], String) {
    let imagePath = dataPath("train_images.npy"), labelPath = dataPath("train_labels.npy")
    if FileManager.default.fileExists(atPath: imagePath) && FileManager.default.fileExists(atPath: labelPath) {
      let images = try NPY.readTensor(imagePath)
      let labels = try NPY.readIntegers(labelPath).values
      let rows = (0..<count).map { $0 % images.shape[0] }
      return (try images.indexSelect(axis: 0, indices: rows), rows.map { labels[$0] }, "FM-5k training images (\(imagePath))")
    }
    benchLog("train: \(imagePath) is missing; timing on uniform random images")
    var rng = RandomGenerator(seed: 7)
    let images = try Tensor.randomUniform([count, 1, 28, 28], using: &rng)
    return (images, (0..<count).map { _ in rng.nextInt(below: 10) }, "uniform random 28x28 images")
  }
}
