import DPQTensor

/// How `Figure.projection` maps vectors to the plane.
public enum ProjectionMethod: Equatable, Sendable {
  /// The top two principal components of the features; reconstructions are projected on the
  /// same two directions, so the panels share one coordinate system.
  case pca
  /// t-SNE, run separately on the features and on each reconstruction (as in the paper's Figure 1).
  case tsne(TSNEOptions)

  /// t-SNE with default settings.
  public static var tsne: ProjectionMethod { .tsne(TSNEOptions()) }
}

extension Figure {
  /// A 2-D projection of `features` ([n, D]) and of their reconstructions at several code lengths
  /// ([n, D] each), points coloured by `labels` (n class indices, named by `classNames` when
  /// given). One panel per set, plus a panel holding the legend.
  public static func projection(
    features: Tensor, reconstructions: [(bits: Int, values: Tensor)] = [],
    labels: [Int], classNames: [String] = [], method: ProjectionMethod = .pca,
    title: String? = nil
  ) throws -> Figure {
    let function = "projection"
    guard features.rank == 2 else {
      throw PlotError.invalidArgument(
        function: function, reason: "features must be [n, D], got shape \(features.shape)")
    }
    let n = features.shape[0]
    guard labels.count == n else {
      throw PlotError.invalidArgument(function: function, reason: "\(n) feature rows but \(labels.count) labels")
    }
    for r in reconstructions where r.values.shape != features.shape {
      throw PlotError.invalidArgument(
        function: function,
        reason: "the \(r.bits)-bit reconstruction has shape \(r.values.shape), features have \(features.shape)")
    }
    if let bad = labels.first(where: { $0 < 0 }) {
      throw PlotError.invalidArgument(function: function, reason: "labels must be non-negative, found \(bad)")
    }

    let sets: [(name: String, values: Tensor)] =
      [("features", features)]
      + reconstructions.map { ("\($0.bits)-bit reconstruction", $0.values) }
    var coordinates: [Tensor] = []
    let axisNames: (String, String)
    switch method {
    case .pca:
      let pca = try PCA.fit(features, componentCount: 2)
      for s in sets { coordinates.append(try pca.transform(s.values)) }
      let share = { (i: Int) -> String in
        guard pca.totalVariance > 0 else { return "PC \(i + 1)" }
        let percent = 100 * Double(pca.explainedVariance[i] / pca.totalVariance)
        return "PC \(i + 1) (\(Int(percent.rounded()))% of variance)"
      }
      axisNames = (share(0), share(1))
    case .tsne(let options):
      for s in sets { coordinates.append(try TSNE.embed(s.values, options: options)) }
      axisNames = ("t-SNE 1", "t-SNE 2")
    }

    // PCA panels share one coordinate system, so they also share their ranges.
    var shared: (x: Axis, y: Axis)? = nil
    if method == .pca {
      var low = [Float.infinity, .infinity]
      var high = [-Float.infinity, -.infinity]
      for xy in coordinates {
        xy.withUnsafeBufferPointer { p in
          for (i, v) in p.enumerated() {
            low[i & 1] = min(low[i & 1], v)
            high[i & 1] = max(high[i & 1], v)
          }
        }
      }
      func axis(_ i: Int, _ label: String) -> Axis {
        let pad = Double(max(high[i] - low[i], 1e-6)) * 0.05
        return Axis(label: label, minimum: Double(low[i]) - pad, maximum: Double(high[i]) + pad)
      }
      if n > 0 { shared = (axis(0, axisNames.0), axis(1, axisNames.1)) }
    }
    let names = (0...(labels.max() ?? 0)).map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
    let pointSize = n > 1000 ? 0.35 : n > 300 ? 0.5 : 0.7
    var panels: [Panel] = []
    for (s, xy) in zip(sets, coordinates) {
      let values = xy.scalars
      let xs = stride(from: 0, to: values.count, by: 2).map { Double(values[$0]) }
      let ys = stride(from: 1, to: values.count, by: 2).map { Double(values[$0]) }
      panels.append(
        Panel(
          title: s.name, x: shared?.x ?? Axis(label: axisNames.0), y: shared?.y ?? Axis(label: axisNames.1),
          series: [
            Series(
              style: .labelledPoints(labels: labels, names: names), x: xs, y: ys,
              pointType: 7, pointSize: pointSize)
          ],
          legend: .hidden, equalAspect: method == .pca))
    }
    let methodName: String
    switch method {
    case .pca: methodName = "PCA"
    case .tsne: methodName = "t-SNE"
    }
    let figureTitle =
      title
      ?? (reconstructions.isEmpty
        ? "\(methodName) projection of features"
        : "\(methodName) projection of features and reconstructions")
    if panels.count == 1 {
      panels[0].legend = .outsideRight
      panels[0].title = ""
      return Figure(title: figureTitle, panels: panels, width: 760, height: 560)
    }
    // The legend gets a panel of its own: one entry per class, points parked outside the range.
    let classes = Set(labels).sorted()
    panels.append(
      Panel(
        title: "classes", x: Axis(minimum: 0, maximum: 1), y: Axis(minimum: 0, maximum: 1),
        series: [
          Series(
            style: .labelledPoints(labels: classes, names: names),
            x: classes.map { _ in -1 }, y: classes.map { _ in -1 }, pointType: 7, pointSize: 1.5)
        ],
        legend: .center, grid: false, showsAxes: false))
    let figure = Figure(title: figureTitle, panels: panels)
    let (rows, columns) = figure.layout
    var sized = figure
    sized.width = max(640, 400 * columns)
    sized.height = 60 + 380 * rows
    return sized
  }
}
