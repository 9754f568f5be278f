import DPQTensor
import Testing

@testable import DPQNN

@Suite struct LeNetTests {
  @Test func architectureAndNames() throws {
    let net = try LeNet.make(featureDimension: 300, classCount: 10, seed: 3)
    #expect(
      net.stateDict().map(\.0) == [
        "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
        "classifier.weight", "classifier.bias",
      ])
    #expect(
      net.parameterCount == (32 * 25 + 32) + (64 * 32 * 25 + 64) + (1024 * 512 + 512) + (512 * 300 + 300)
        + (300 * 10 + 10))
    let x = try randomTensor([3, 1, 28, 28], seed: 4)
    let features = try net.features(x)
    #expect(features.shape == [3, 300])
    #expect(features.scalars.allSatisfy { abs($0) <= 1 })
    #expect(try net(x).shape == [3, 10])
    // the same seed gives the same weights
    #expect(try LeNet.make(seed: 3).stateDict().map(\.1) == net.stateDict().map(\.1))
    #expect(
      try LeNet(inputChannels: 3, imageSize: 32, seed: 1)(randomTensor([2, 3, 32, 32], seed: 5)).shape == [2, 10])
  }

  @Test func trainingStepLowersTheLossOnABatch() throws {
    let net = try LeNet.make(seed: 6)
    net.dropout.eval()
    let x = try randomTensor([16, 1, 28, 28], seed: 7)
    let labels = (0..<16).map { $0 % 10 }
    let sgd = try SGD(parameters: net.parameters(), learningRate: 0.05, momentum: 0.9)
    var losses: [Float] = []
    for _ in 0..<8 {
      sgd.zeroGrad()
      let loss = try softmaxCrossEntropy(logits: net(x), labels: labels)
      losses.append(try loss.item())
      try loss.backward()
      try sgd.step()
    }
    #expect(zip(losses, losses.dropFirst()).allSatisfy { $1 < $0 }, "\(losses)")
    #expect(losses.last! < losses.first! * 0.9, "\(losses)")
  }

  @Test func benchmarkReportsThroughput() throws {
    let result = try benchmarkTrainingStep(batchSize: 8, steps: 2, warmup: 1)
    #expect(result.stepSeconds.count == 2)
    #expect(result.imagesPerSecond > 0)
    #expect(result.description.contains("images/s"))
  }
}

@Suite struct LeNetGradientTests {
  @Test func wholeNetworkGradients() throws {
    let net = try LeNet.make(seed: 8)
    net.dropout.eval()
    let r = try moduleGradientError(net, input: randomTensor([3, 1, 28, 28], seed: 9), epsilon: 1e-2, probes: 12)
    #expect(r.error < 2e-2, "\(r.where)")
  }
}
