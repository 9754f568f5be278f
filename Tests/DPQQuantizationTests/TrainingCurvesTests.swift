import Testing

@testable import DPQQuantization

/// A training log's curves: classification alone in stage 1, the quantization losses once stage 2
/// starts, training accuracy, and the losses a log axis can show.
@Suite struct TrainingCurvesTests {
  static func epoch(_ e: Int, stage: Int, cls: Float, soft: Float = 0, accuracy: Float) -> DPQEpochLog {
    DPQEpochLog(
      epoch: e, stage: stage, classificationLoss: cls, softLoss: soft, hardLoss: 2 * soft, jointLoss: 0,
      totalLoss: cls + soft, accuracy: accuracy, codewordUsage: [], relativeDistortion: [], imagesPerSecond: 1,
      seconds: 1, learningRate: 0.001)
  }

  @Test func stageOneShowsClassificationAndStageTwoTheQuantizationLosses() throws {
    #expect(DPQTrainingCurves([]) == nil)
    let one = try #require(DPQTrainingCurves([Self.epoch(1, stage: 1, cls: 2, accuracy: 0.5)]))
    #expect(one.epochs == [1])
    #expect(one.losses.map(\.name) == ["classification"])
    #expect(one.accuracies.map(\.name) == ["train accuracy"] && one.accuracies[0].values == [0.5])

    let log = [
      Self.epoch(1, stage: 1, cls: 2, accuracy: 0.5), Self.epoch(2, stage: 2, cls: 1, soft: 0.25, accuracy: 0.75),
    ]
    let both = try #require(DPQTrainingCurves(log))
    #expect(both.epochs == [1, 2])
    #expect(both.losses.map(\.name) == ["classification", "soft", "hard", "joint", "total"])
    #expect(
      both.losses[0].values == [2, 1] && both.losses[1].values == [0, 0.25] && both.losses[2].values == [0, 0.5])
    #expect(both.losses[4].values == [2, 1.25])
    // soft and hard are 0 in stage 1 and joint throughout: a log axis drops them
    #expect(both.positiveLosses.map(\.name) == ["classification", "total"])
  }
}
