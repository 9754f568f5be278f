/// A precision-recall curve of one method at one code length.
public struct PRCurve: Equatable, Sendable {
  public var method: String
  public var bits: Int
  public var recall: [Double]
  public var precision: [Double]
  public init(method: String, bits: Int, recall: [Double], precision: [Double]) {
    self.method = method
    self.bits = bits
    self.recall = recall
    self.precision = precision
  }
}

/// Precision at the top N results, for several N, of one method at one code length.
public struct PrecisionAtNCurve: Equatable, Sendable {
  public var method: String
  public var bits: Int
  public var n: [Int]
  public var precision: [Double]
  public init(method: String, bits: Int, n: [Int], precision: [Double]) {
    self.method = method
    self.bits = bits
    self.n = n
    self.precision = precision
  }
}

extension Figure {
  /// mAP against code length (bits) with one line per method, in the method's palette colour.
  ///
  ///     try Figure.mapByCodeLength([("DPQ", [8, 16, 24, 32], [0.71, 0.78, 0.80, 0.82]),
  ///                                 ("PQ", [8, 16, 24, 32], [0.42, 0.55, 0.60, 0.63])])
  public static func mapByCodeLength(
    _ methods: [(method: String, bits: [Int], map: [Double])],
    title: String = "mAP against code length"
  ) throws -> Figure {
    let function = "mapByCodeLength"
    guard !methods.isEmpty else { throw PlotError.invalidArgument(function: function, reason: "no methods to plot") }
    let colors = Palette.methodColors(methods.map(\.method))
    var series: [Series] = []
    for (i, m) in methods.enumerated() {
      guard m.bits.count == m.map.count, !m.bits.isEmpty else {
        throw PlotError.invalidArgument(
          function: function, reason: "'\(m.method)' has \(m.bits.count) code lengths and \(m.map.count) mAP values")
      }
      let order = m.bits.indices.sorted { m.bits[$0] < m.bits[$1] }
      series.append(
        Series(
          title: m.method, style: .linesPoints, x: order.map { Double(m.bits[$0]) },
          y: order.map { m.map[$0] }, color: colors[m.method],
          pointType: Palette.pointType(methodIndex: i), pointSize: 1.3))
    }
    let allBits = Set(methods.flatMap(\.bits)).sorted()
    let span = Double((allBits.last ?? 0) - (allBits.first ?? 0))
    let pad = max(1, span * 0.06)
    let x = Axis(
      label: "code length (bits)", minimum: Double(allBits.first ?? 0) - pad,
      maximum: Double(allBits.last ?? 0) + pad, tics: allBits.map { Tic(Double($0)) })
    // The legend goes outside, on the right: methods far apart (DPQ against PQ on pixels) fill
    // both the top and the bottom of the plot, where a corner legend would hide a line.
    let panel = Panel(x: x, y: Axis(label: "mAP"), series: series, legend: .outsideRight)
    return Figure(title: title, panels: [panel], width: 900)
  }

  /// Precision-recall curves for several methods and code lengths on one plot. With several
  /// methods, colour names the method and the dash pattern the code length; with one method,
  /// colour names the code length.
  public static func precisionRecall(_ curves: [PRCurve], title: String = "Precision-recall") throws -> Figure {
    let function = "precisionRecall"
    for c in curves where c.recall.count != c.precision.count || c.recall.isEmpty {
      throw PlotError.invalidArgument(
        function: function,
        reason: "\(c.method) \(c.bits) bits has \(c.recall.count) recall and \(c.precision.count) precision values")
    }
    let series = try methodCurves(curves.map { ($0.method, $0.bits, $0.recall, $0.precision) }, function: function)
    let panel = Panel(
      x: Axis(label: "recall", minimum: 0, maximum: 1), y: Axis(label: "precision", minimum: 0, maximum: 1),
      series: series, legend: series.count > 6 ? .outsideRight : .topRight)
    return Figure(title: title, panels: [panel], width: series.count > 6 ? 960 : 800)
  }

  /// Precision of the top N results against N, for several methods and code lengths on one plot
  /// (styled like `precisionRecall`).
  public static func precisionAtN(
    _ curves: [PrecisionAtNCurve], logScaleN: Bool = false,
    title: String = "Precision@N"
  ) throws -> Figure {
    let function = "precisionAtN"
    for c in curves where c.n.count != c.precision.count || c.n.isEmpty {
      throw PlotError.invalidArgument(
        function: function,
        reason: "\(c.method) \(c.bits) bits has \(c.n.count) values of N and \(c.precision.count) precisions")
    }
    if logScaleN, curves.contains(where: { $0.n.contains { $0 <= 0 } }) {
      throw PlotError.invalidArgument(function: function, reason: "N must be positive on a log scale")
    }
    let series = try methodCurves(
      curves.map { ($0.method, $0.bits, $0.n.map(Double.init), $0.precision) }, function: function)
    // The axis ends at the data (a log axis would otherwise run on to the next power of 10).
    let ns = curves.flatMap(\.n)
    let panel = Panel(
      x: Axis(
        label: "N (number of results)", minimum: ns.min().map(Double.init),
        maximum: ns.max().map(Double.init), logBase: logScaleN ? 10 : nil),
      y: Axis(label: "precision", minimum: 0), series: series,
      legend: series.count > 6 ? .outsideRight : .topRight)
    return Figure(title: title, panels: [panel], width: series.count > 6 ? 960 : 800)
  }

  /// Series for curves keyed by method and code length, in the shared colours and dashes.
  static func methodCurves(_ curves: [(method: String, bits: Int, x: [Double], y: [Double])], function: String) throws
    -> [Series]
  {
    guard !curves.isEmpty else { throw PlotError.invalidArgument(function: function, reason: "no curves to plot") }
    var methods: [String] = []
    for c in curves where !methods.contains(c.method) { methods.append(c.method) }
    let bitSet = Set(curves.map(\.bits))
    let colors = Palette.methodColors(methods)
    let byMethod = methods.count > 1
    return curves.map { c in
      let name: String
      if byMethod && bitSet.count > 1 {
        name = "\(c.method) \(c.bits) bits"
      } else if byMethod {
        name = c.method
      } else {
        name = "\(c.method) \(c.bits) bits"
      }
      let methodIndex = methods.firstIndex(of: c.method) ?? 0
      return Series(
        title: name, style: .lines, x: c.x, y: c.y,
        color: byMethod ? colors[c.method] : Palette.codeLength(c.bits),
        dashType: byMethod ? Palette.dashType(bits: c.bits) : 1,
        pointType: Palette.pointType(methodIndex: methodIndex))
    }
  }
}
