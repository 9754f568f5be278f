extension Figure {
  /// Every loss term and accuracy over epochs. Losses share the left axis; accuracies go on a
  /// second axis on the right (`accuracyOnSecondAxis`) or into a panel of their own below.
  /// Without `epochs`, values are numbered from epoch 1.
  ///
  ///     let fig = try Figure.trainingCurves(losses: [("classification", ce), ("quantization", q)],
  ///                                         accuracies: [("train accuracy", acc)])
  public static func trainingCurves(
    losses: [(name: String, values: [Double])],
    accuracies: [(name: String, values: [Double])] = [],
    epochs: [Double]? = nil, logScaleLoss: Bool = false,
    accuracyOnSecondAxis: Bool = true,
    title: String = "Training curves"
  ) throws -> Figure {
    let function = "trainingCurves"
    guard !losses.isEmpty || !accuracies.isEmpty else {
      throw PlotError.invalidArgument(function: function, reason: "no loss or accuracy values to plot")
    }
    func xs(_ name: String, _ count: Int) throws -> [Double] {
      guard let epochs else { return (0..<count).map { Double($0 + 1) } }
      guard epochs.count == count else {
        throw PlotError.invalidArgument(
          function: function, reason: "'\(name)' has \(count) values but there are \(epochs.count) epochs")
      }
      return epochs
    }
    func style(_ count: Int) -> Series.Style { count <= 40 ? .linesPoints : .lines }
    if logScaleLoss, let bad = losses.first(where: { $0.values.contains { $0 <= 0 } }) {
      throw PlotError.invalidArgument(
        function: function, reason: "'\(bad.name)' has values <= 0, which a log scale cannot show")
    }

    var lossSeries: [Series] = []
    for (i, loss) in losses.enumerated() {
      lossSeries.append(
        Series(
          title: loss.name, style: style(loss.values.count), x: try xs(loss.name, loss.values.count),
          y: loss.values, color: Palette.category(i), pointSize: 0.6))
    }
    // Accuracies in [0, 1] or in percent: fix the axis to the whole scale so progress reads true.
    let percent = accuracies.contains { $0.values.contains { $0 > 1.5 } }
    let accuracyAxis = Axis(label: percent ? "accuracy (%)" : "accuracy", minimum: 0, maximum: percent ? 100 : 1)
    let onSecond = accuracyOnSecondAxis && !losses.isEmpty
    var accuracySeries: [Series] = []
    for (i, acc) in accuracies.enumerated() {
      accuracySeries.append(
        Series(
          title: acc.name, style: style(acc.values.count), x: try xs(acc.name, acc.values.count),
          y: acc.values, color: Palette.category(losses.count + i), dashType: 2,
          pointType: 5, pointSize: 0.6, onSecondYAxis: onSecond))
    }

    let epochAxis = Axis(
      label: "epoch", tics: Axis.wholeTics(try (losses + accuracies).flatMap { try xs($0.name, $0.values.count) }))
    let lossAxis = Axis(label: "loss", logBase: logScaleLoss ? 10 : nil)
    if losses.isEmpty {
      return Figure(
        title: title, panels: [Panel(x: epochAxis, y: accuracyAxis, series: accuracySeries, legend: .below)])
    }
    if accuracies.isEmpty || onSecond {
      let panel = Panel(
        x: epochAxis, y: lossAxis, y2: onSecond ? accuracyAxis : nil,
        series: lossSeries + accuracySeries, legend: .below)
      return Figure(title: title, panels: [panel], width: 860, height: 560)
    }
    return Figure(
      title: title,
      panels: [
        Panel(title: "losses", x: epochAxis, y: lossAxis, series: lossSeries, legend: .outsideRight),
        Panel(title: "accuracy", x: epochAxis, y: accuracyAxis, series: accuracySeries, legend: .outsideRight),
      ],
      columns: 1, width: 860, height: 900)
  }
}

extension Axis {
  /// A tic at each value when the values are a few whole numbers (epochs, steps), so gnuplot does
  /// not label 1.5, 2.5 in between; nil (gnuplot's own tics) otherwise.
  public static func wholeTics(_ values: [Double], atMost limit: Int = 15) -> [Tic]? {
    let distinct = Set(values).sorted()
    guard !distinct.isEmpty, distinct.count <= limit, distinct.allSatisfy({ $0 == $0.rounded() }) else { return nil }
    return distinct.map { Tic($0) }
  }
}
