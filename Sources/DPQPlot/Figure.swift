/// A figure: one or more panels laid out in a grid, with a title and a size. A plain value built
/// in Swift; `gnuplotScript(terminal:output:dataDirectory:)` turns it into a gnuplot script and
/// `render(to:)` / `save(to:)` draw it.
public struct Figure: Equatable, Sendable {
  /// The figure title; for a single panel without a title of its own it becomes the panel title.
  public var title: String
  public var panels: [Panel]
  /// Panels per row; nil picks a near-square grid.
  public var columns: Int?
  /// Size of image outputs in pixels (terminal output uses character cells instead).
  public var width: Int
  public var height: Int
  /// Font size in points for image outputs.
  public var fontSize: Double

  public init(
    title: String = "", panels: [Panel], columns: Int? = nil, width: Int = 800, height: Int = 560,
    fontSize: Double = 11
  ) {
    self.title = title
    self.panels = panels
    self.columns = columns
    self.width = width
    self.height = height
    self.fontSize = fontSize
  }

  /// A single-panel figure.
  public init(
    title: String = "", xLabel: String = "", yLabel: String = "", series: [Series],
    width: Int = 800, height: Int = 560
  ) {
    self.init(
      title: title, panels: [Panel(x: Axis(label: xLabel), y: Axis(label: yLabel), series: series)],
      width: width, height: height)
  }

  /// Rows and columns of the panel grid.
  public var layout: (rows: Int, columns: Int) {
    let n = max(panels.count, 1)
    let c = max(1, min(columns ?? Figure.defaultColumns(n), n))
    return ((n + c - 1) / c, c)
  }

  static func defaultColumns(_ n: Int) -> Int {
    switch n {
    case 1, 2, 3: return n
    case 4: return 2
    default: return 3
    }
  }
}

/// One set of axes with its series, annotations and legend.
public struct Panel: Equatable, Sendable {
  public var title: String
  public var x: Axis
  public var y: Axis
  /// A second y axis on the right, for series with `onSecondYAxis`.
  public var y2: Axis?
  public var series: [Series]
  public var legend: LegendPosition
  public var grid: Bool
  /// False hides the border, tics and grid (image grids).
  public var showsAxes: Bool
  /// Equal units on x and y (square pixels for images, undistorted projections).
  public var equalAspect: Bool
  public var rectangles: [Rectangle]
  public var labels: [TextLabel]

  public init(
    title: String = "", x: Axis = Axis(), y: Axis = Axis(), y2: Axis? = nil, series: [Series] = [],
    legend: LegendPosition = .topRight, grid: Bool = true, showsAxes: Bool = true,
    equalAspect: Bool = false, rectangles: [Rectangle] = [], labels: [TextLabel] = []
  ) {
    self.title = title
    self.x = x
    self.y = y
    self.y2 = y2
    self.series = series
    self.legend = legend
    self.grid = grid
    self.showsAxes = showsAxes
    self.equalAspect = equalAspect
    self.rectangles = rectangles
    self.labels = labels
  }
}

/// An axis: label, optional fixed ends, log scale and explicit tics.
public struct Axis: Equatable, Sendable {
  public var label: String
  /// Fixed lower end; nil lets gnuplot choose.
  public var minimum: Double?
  /// Fixed upper end; nil lets gnuplot choose.
  public var maximum: Double?
  /// Log scale with this base (2 or 10), or nil for linear.
  public var logBase: Int?
  /// Tic marks at exactly these values, optionally with text; nil lets gnuplot choose.
  public var tics: [Tic]?

  public init(
    label: String = "", minimum: Double? = nil, maximum: Double? = nil, logBase: Int? = nil,
    tics: [Tic]? = nil
  ) {
    self.label = label
    self.minimum = minimum
    self.maximum = maximum
    self.logBase = logBase
    self.tics = tics
  }
}

/// One tic mark; the label defaults to the value.
public struct Tic: Equatable, Sendable {
  public var value: Double
  public var label: String?
  public init(_ value: Double, _ label: String? = nil) {
    self.value = value
    self.label = label
  }
}

/// Where the legend goes.
public enum LegendPosition: String, Equatable, Sendable, CaseIterable {
  case topRight, topLeft, bottomRight, bottomLeft, outsideRight, below, center, hidden
}

/// One plotted data set.
public struct Series: Equatable, Sendable {
  /// How the points are drawn.
  public enum Style: Equatable, Sendable {
    case lines
    case linesPoints
    case points
    /// Filled bars centred on x, `width` in x units; `opacity` < 1 lets overlaid bars show through.
    case boxes(width: Double, opacity: Double)
    /// Text at each point (e.g. values over bars).
    case text([String])
    /// Points coloured by integer class label, one legend entry per class (scatter of a
    /// projection). `names[label]` titles a class when present.
    case labelledPoints(labels: [Int], names: [String])
    /// An image with its lower-left pixel centred at (x[0], y[0]) and one x/y unit per pixel.
    case image(Image)
  }

  public var title: String
  public var style: Style
  public var x: [Double]
  public var y: [Double]
  /// Nil picks the next colour of the category palette.
  public var color: Color?
  /// gnuplot dash type: 1 solid, 2 dashed, 3 dotted, 4 dash-dot, 5 dash-dot-dot.
  public var dashType: Int
  /// gnuplot point type (7 filled circle, 5 filled square, 9 filled triangle, ...).
  public var pointType: Int
  public var lineWidth: Double
  public var pointSize: Double
  public var onSecondYAxis: Bool

  public init(
    title: String = "", style: Style = .lines, x: [Double], y: [Double], color: Color? = nil,
    dashType: Int = 1, pointType: Int = 7, lineWidth: Double = 2, pointSize: Double = 1,
    onSecondYAxis: Bool = false
  ) {
    self.title = title
    self.style = style
    self.x = x
    self.y = y
    self.color = color
    self.dashType = dashType
    self.pointType = pointType
    self.lineWidth = lineWidth
    self.pointSize = pointSize
    self.onSecondYAxis = onSecondYAxis
  }

  /// An image series placed with its lower-left pixel at (`left`, `bottom`).
  public static func image(_ image: Image, left: Double, bottom: Double, title: String = "") -> Series {
    Series(title: title, style: .image(image), x: [left], y: [bottom])
  }
}

/// Pixels for an image series: `channels` is 1 (gray) or 3 (RGB), values in [0, 1], rows from
/// top to bottom, channels interleaved per pixel.
public struct Image: Equatable, Sendable {
  public var width: Int
  public var height: Int
  public var channels: Int
  public var pixels: [Float]

  public init(width: Int, height: Int, channels: Int, pixels: [Float]) throws {
    guard width > 0, height > 0, channels == 1 || channels == 3 else {
      throw PlotError.invalidArgument(
        function: "Image",
        reason: "need a positive size and 1 or 3 channels, got \(width)x\(height)x\(channels)")
    }
    guard pixels.count == width * height * channels else {
      throw PlotError.invalidArgument(
        function: "Image",
        reason: "\(width)x\(height)x\(channels) needs \(width * height * channels) values, got \(pixels.count)")
    }
    self.width = width
    self.height = height
    self.channels = channels
    self.pixels = pixels
  }
}

/// An unfilled rectangle drawn over the plot (frames around images).
public struct Rectangle: Equatable, Sendable {
  public var x0: Double, y0: Double, x1: Double, y1: Double
  public var color: Color
  public var lineWidth: Double
  public init(x0: Double, y0: Double, x1: Double, y1: Double, color: Color, lineWidth: Double = 3) {
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
    self.color = color
    self.lineWidth = lineWidth
  }
}

/// Text placed at a point in plot coordinates, centred on it.
public struct TextLabel: Equatable, Sendable {
  public var text: String
  public var x: Double
  public var y: Double
  public var color: Color?
  public init(_ text: String, x: Double, y: Double, color: Color? = nil) {
    self.text = text
    self.x = x
    self.y = y
    self.color = color
  }
}
