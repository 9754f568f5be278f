import DPQTensor
import Foundation

/// The result of `benchmarkTrainingStep`: throughput of a full LeNet training step.
public struct TrainingBenchmark: CustomStringConvertible {
  public let batchSize: Int
  /// Wall-clock seconds of each timed step (after warm-up).
  public let stepSeconds: [Double]
  /// Images per second at the median step time.
  public let imagesPerSecond: Double
  public let coreName: String
  public let threadCount: Int

  public var description: String {
    let ms = stepSeconds.sorted()[stepSeconds.count / 2] * 1000
    return String(
      format: "LeNet training step, batch %d: %.1f ms median over %d steps, %.0f images/s (OpenBLAS %@, %d threads)",
      batchSize, ms, stepSeconds.count, imagesPerSecond, coreName, threadCount)
  }
}

/// Times the LeNet training step (forward, softmax cross-entropy, backward, SGD with momentum) on
/// random 28 x 28 images, reporting the median over `steps` after `warmup` untimed steps.
public func benchmarkTrainingStep(
  batchSize: Int = 128, steps: Int = 20, warmup: Int = 3,
  seed: UInt64 = 0
) throws -> TrainingBenchmark {
  guard batchSize > 0, steps > 0, warmup >= 0 else {
    throw NNError.invalidArgument(op: "benchmarkTrainingStep", reason: "batch size and steps must be positive")
  }
  let model = try LeNet.make(seed: seed)
  let optimizer = try SGD(parameters: model.parameters(), learningRate: 0.01, momentum: 0.9)
  var rng = RandomGenerator(seed: seed &+ 7)
  let images = try Tensor.randomUniform([batchSize, 1, 28, 28], using: &rng)
  let labels = (0..<batchSize).map { _ in rng.nextInt(below: 10) }
  var times: [Double] = []
  for i in 0..<(warmup + steps) {
    let start = DispatchTime.now().uptimeNanoseconds
    optimizer.zeroGrad()
    let loss = try softmaxCrossEntropy(logits: model(images), labels: labels)
    try loss.backward()
    try optimizer.step()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    if i >= warmup { times.append(seconds) }
  }
  let median = times.sorted()[times.count / 2]
  return TrainingBenchmark(
    batchSize: batchSize, stepSeconds: times, imagesPerSecond: Double(batchSize) / median,
    coreName: BLAS.coreName, threadCount: engineThreadCount)
}
