import ArgumentParser
import DPQData
import DPQNN
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq bench train`: images per second of DPQ training steps (forward, all losses, backward,
/// SGD on the network and Adam on the codebooks) in stage 2 with the trainer's default options
/// (the quantization losses train the codebooks only), the peer of
/// scripts/peers/torch_dpq.py. The model is the reference one (LeNet backbone, D = 300, M = 4,
/// K = 256, l2 similarity, dropout 0.5); inputs are the first `steps * batch` normalised FM-5k
/// training images of `prepare` (random images when the data is absent).
///
/// Also `encode/dpq-lenet`: images per second of `Index(quantizer: model.quantizer, codes:)` over
/// `model.encode(inputs:)` (what `model.index(dataset)` does: the network's features in
/// evaluation mode in batches of 500, the hard codes block by block, the index) for the first
/// `--encode-images` database images. Every row is measured at each of `--thread-counts`
/// (workload names end in /t1, /t2, ...).
extension BenchCommand {
  func benchTrain() throws -> BenchReport {
    var report = BenchReport(suite: "train")
    let count = steps * batch
    for t in try threadCounts() {
      setEngineThreadCount(t)
      if selected("train/dpq-step") {
        let (trainer, inputs, labels, source) = try makeBenchTrainer()
        let options = trainer.options
        var rates: [Double] = []
        try trainer.fit(inputs: inputs, labels: labels) { line in
          if line.epoch > 1 { rates.append(Double(count) / line.seconds) }
        }
        report.add(
          BenchMeasurement(
            workload: "train/dpq-step/t\(t)", unit: "images/s", higherIsBetter: true, values: rates,
            info: [
              "batch": batch, "steps_per_run": steps, "threads": t, "inputs": source,
              "quantization_reaches_network": options.quantizationReachesNetwork,
              "model": "LeNet, D=300, M=4, K=256, l2, dropout 0.5", "stage": 2,
              "convolution": Conv2D.kernelDescription,
            ]))
      }
      if selected("encode/dpq-lenet") {
        let (images, source) = try encodingImages()
        let model = try DPQModel(DPQConfiguration(), seed: 0)
        model.eval()
        var index: Index? = nil
        let times = try Stopwatch.measure(runs: runs) {
          index = try Index(quantizer: model.quantizer, codes: model.encode(inputs: images, batchSize: 500))
        }
        report.add(
          BenchMeasurement(
            workload: "encode/dpq-lenet/t\(t)", unit: "images/s", higherIsBetter: true,
            values: times.map { Double(images.shape[0]) / $0 },
            info: [
              "images": images.shape[0], "batch": 500, "threads": t, "inputs": source,
              "items_indexed": index?.count ?? 0,
              "model": "LeNet, D=300, M=4, K=256, l2 (random weights, eval mode)",
              "work": "features (no graph), hard codes of 4 blocks, Index(quantizer:codes:)",
            ]))
      }
    }
    return report
  }

  /// The thread counts of `--thread-counts` (default: `--threads` alone).
  func threadCounts() throws -> [Int] {
    guard let list = threadCountList else { return [threads] }
    let counts = list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
      throw ValidationError("--thread-counts takes thread counts separated by commas (got '\(list)')")
    }
    return counts
  }

  /// The first `--encode-images` prepared database images as [n, 1, 28, 28] (random ones when the
  /// data is absent).
  func encodingImages() throws -> (Tensor, String) {
    let path = dataPath("database_pixels.npy")
    if FileManager.default.fileExists(atPath: path) {
      let pixels = try NPY.readTensor(path)
      let n = min(encodeImages, pixels.shape[0])
      return (try pixels.slice(axis: 0, range: 0..<n).reshaped([n, 1, 28, 28]), "FM database images (\(path))")
    }
    benchLog("encode: \(path) is missing; timing on uniform random images")
    var rng = RandomGenerator(seed: 8)
    return (try Tensor.randomUniform([encodeImages, 1, 28, 28], using: &rng), "uniform random 28x28 images")
  }

  /// The train suite's trainer and inputs: the reference model, stage 2 from the first step,
  /// random codebooks, one untimed warm-up epoch and then one epoch per run.
  func makeBenchTrainer() throws -> (DPQTrainer, Tensor, [Int], String) {
    let (inputs, labels, source) = try trainingBatch(count: steps * batch)
    let model = try DPQModel(DPQConfiguration(), seed: 0)
    var options = DPQTrainingOptions()
    options.batchSize = batch
    options.mode = .endToEnd
    options.warmupEpochs = 0 // stage 2 (network and codebooks) from the first step
    options.codebookInitialisation = .random // no k-means: the timed work is the training step
    options.epochs = 1 + runs // one untimed warm-up epoch, then one per run
    return (try DPQTrainer(model: model, options: options), inputs, labels, source)
  }

  /// `count` images and labels: the prepared FM-5k training images, repeated if needed.
  func trainingBatch(count: Int) throws -> (Tensor, [Int], String) {
    let imagePath = dataPath("train_images.npy")
    let labelPath = dataPath("train_labels.npy")
    if FileManager.default.fileExists(atPath: imagePath) && FileManager.default.fileExists(atPath: labelPath) {
      let images = try NPY.readTensor(imagePath)
      let labels = try NPY.readIntegers(labelPath).values
      let rows = (0..<count).map { $0 % images.shape[0] }
      return (
        try images.indexSelect(axis: 0, indices: rows), rows.map { labels[$0] }, "FM-5k training images (\(imagePath))"
      )
    }
    benchLog("train: \(imagePath) is missing; timing on uniform random images")
    var rng = RandomGenerator(seed: 7)
    let images = try Tensor.randomUniform([count, 1, 28, 28], using: &rng)
    return (images, (0..<count).map { _ in rng.nextInt(below: 10) }, "uniform random 28x28 images")
  }
}
