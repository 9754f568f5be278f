import Foundation

/// How per-block histograms are arranged.
public enum HistogramLayout: String, Equatable, Sendable {
  /// One panel per block.
  case panels
  /// All blocks on one plot, bars partly transparent.
  case overlaid
}

/// How per-block values are drawn.
public enum BlockChartStyle: String, Equatable, Sendable {
  case bars
  case lines
}

extension Figure {
  /// How often each codeword is chosen, per block: `counts[m][k]` is the count of codeword k in
  /// block m. Panel titles give the codewords used and the perplexity (exp of the usage entropy;
  /// K when usage is uniform). `sortedByCount` orders codewords from most to least used, which
  /// shows dead codewords as a flat tail.
  public static func codewordUsage(
    _ counts: [[Int]], layout: HistogramLayout = .panels, sortedByCount: Bool = false,
    title: String = "Codeword usage"
  ) throws -> Figure {
    let function = "codewordUsage"
    guard !counts.isEmpty, counts.allSatisfy({ !$0.isEmpty }) else {
      throw PlotError.invalidArgument(function: function, reason: "need at least one block with at least one codeword")
    }
    if let bad = counts.firstIndex(where: { $0.contains { $0 < 0 } }) {
      throw PlotError.invalidArgument(function: function, reason: "block \(bad + 1) has negative counts")
    }
    let xLabel = sortedByCount ? "codeword rank" : "codeword"
    func bars(_ block: [Int]) -> (x: [Double], y: [Double]) {
      let values = sortedByCount ? block.sorted(by: >) : block
      return (values.indices.map(Double.init), values.map(Double.init))
    }
    func summary(_ block: [Int]) -> String {
      let total = Double(block.reduce(0, +))
      let used = block.filter { $0 > 0 }.count
      var entropy = 0.0
      if total > 0 {
        for c in block where c > 0 {
          let p = Double(c) / total
          entropy -= p * Foundation.log(p)
        }
      }
      return "\(used) of \(block.count) used, perplexity \(String(format: "%.1f", Foundation.exp(entropy)))"
    }
    let maxK = counts.map(\.count).max() ?? 1
    let x = Axis(label: xLabel, minimum: -0.5, maximum: Double(maxK) - 0.5)
    if layout == .overlaid {
      let series = counts.enumerated().map { m, block -> Series in
        let b = bars(block)
        return Series(
          title: "block \(m + 1): " + summary(block), style: .boxes(width: 1, opacity: 0.35), x: b.x, y: b.y,
          color: Palette.category(m))
      }
      let panel = Panel(x: x, y: Axis(label: "count", minimum: 0), series: series, legend: .below)
      return Figure(title: title, panels: [panel], width: 900, height: 560 + 20 * counts.count)
    }
    let panels = counts.enumerated().map { m, block -> Panel in
      let b = bars(block)
      return Panel(
        title: "block \(m + 1): " + summary(block), x: x, y: Axis(label: "count", minimum: 0),
        series: [Series(style: .boxes(width: 1, opacity: 1), x: b.x, y: b.y, color: Palette.category(m))],
        legend: .hidden)
    }
    let probe = Figure(panels: panels)
    let (rows, columns) = probe.layout
    return Figure(title: title, panels: panels, width: max(640, 440 * columns), height: 80 + 320 * rows)
  }

  /// A value per block (distortion, i.e. squared quantization error, after each block) for one
  /// or more named series: clustered bars or lines over block number 1...M.
  public static func blockDistortion(
    _ series: [(name: String, values: [Double])], style: BlockChartStyle = .bars,
    yLabel: String = "distortion (squared error)",
    title: String = "Distortion per block"
  ) throws -> Figure {
    let function = "blockDistortion"
    guard !series.isEmpty, series.allSatisfy({ !$0.values.isEmpty }) else {
      throw PlotError.invalidArgument(function: function, reason: "need at least one series with at least one block")
    }
    let blocks = series.map(\.values.count).max() ?? 1
    let tics = (1...blocks).map { Tic(Double($0)) }
    let x = Axis(label: "block", minimum: 0.4, maximum: Double(blocks) + 0.6, tics: tics)
    let y = Axis(label: yLabel, minimum: style == .bars ? 0 : nil)
    var drawn: [Series] = []
    let barWidth = 0.8 / Double(series.count)
    for (i, s) in series.enumerated() {
      let blockNumbers = s.values.indices.map { Double($0 + 1) }
      switch style {
      case .bars:
        // Bars of series i sit side by side within each block's 0.8-wide slot.
        let offset = -0.4 + barWidth * (Double(i) + 0.5)
        drawn.append(
          Series(
            title: s.name, style: .boxes(width: barWidth * 0.92, opacity: 1),
            x: blockNumbers.map { $0 + offset }, y: s.values, color: Palette.category(i)))
      case .lines:
        drawn.append(
          Series(
            title: s.name, style: .linesPoints, x: blockNumbers, y: s.values, color: Palette.category(i),
            pointType: Palette.pointType(methodIndex: i), pointSize: 1.2))
      }
    }
    let panel = Panel(x: x, y: y, series: drawn, legend: series.count > 1 ? .topRight : .hidden)
    return Figure(title: title, panels: [panel])
  }
}
