/// A training log as the series a figure of it shows: what to plot is decided here, beside the
/// log, so any host (the language's `plot()`, a notebook, another program) draws the same curves.
public struct DPQTrainingCurves: Sendable, Equatable {
  /// The epochs, the x values of every series.
  public let epochs: [Double]
  /// Loss series by name: classification always; soft, hard, joint and total once a stage-2
  /// epoch (quantization) is in the log.
  public let losses: [Series]
  /// Accuracy series by name (training accuracy).
  public let accuracies: [Series]

  public struct Series: Sendable, Equatable {
    public let name: String
    public let values: [Double]
  }

  /// The curves of `log`; nil when it holds no epoch.
  public init?(_ log: [DPQEpochLog]) {
    guard !log.isEmpty else { return nil }
    epochs = log.map { Double($0.epoch) }
    var losses = [Series(name: "classification", values: log.map { Double($0.classificationLoss) })]
    if log.contains(where: { $0.stage == 2 }) {
      losses += [
        Series(name: "soft", values: log.map { Double($0.softLoss) }),
        Series(name: "hard", values: log.map { Double($0.hardLoss) }),
        Series(name: "joint", values: log.map { Double($0.jointLoss) }),
        Series(name: "total", values: log.map { Double($0.totalLoss) }),
      ]
    }
    self.losses = losses
    accuracies = [Series(name: "train accuracy", values: log.map { Double($0.accuracy) })]
  }

  /// The loss series a logarithmic axis can show (every value above zero).
  public var positiveLosses: [Series] { losses.filter { $0.values.allSatisfy { $0 > 0 } } }
}
