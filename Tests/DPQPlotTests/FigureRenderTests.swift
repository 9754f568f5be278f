import DPQTensor
import Foundation
import Testing

@testable import DPQPlot

/// Every figure kind, drawn from seeded synthetic data into PNG and SVG with gnuplot silent.
@Suite struct FigureRenderTests {
  @Test func trainingCurvesOnTwoAxes() throws {
    let log = Synthetic.trainingLog()
    let figure = try Figure.trainingCurves(losses: log.losses, accuracies: log.accuracies)
    #expect(figure.panels.count == 1)
    #expect(figure.panels[0].y2 != nil)
    try renderPNGAndSVG(figure, name: "training-curves")
  }

  @Test func trainingCurvesInTwoPanelsWithLogLoss() throws {
    let log = Synthetic.trainingLog(epochs: 60)
    let figure = try Figure.trainingCurves(
      losses: log.losses, accuracies: log.accuracies, logScaleLoss: true,
      accuracyOnSecondAxis: false)
    #expect(figure.panels.count == 2)
    try renderPNGAndSVG(figure, name: "training-curves-panels")
  }

  @Test func mapAgainstCodeLength() throws {
    let figure = try Figure.mapByCodeLength(Synthetic.mapResults())
    #expect(figure.panels[0].series.count == 4)
    try renderPNGAndSVG(figure, name: "map-bits")
  }

  @Test func precisionRecallCurves() throws {
    try renderPNGAndSVG(try Figure.precisionRecall(Synthetic.prCurves()), name: "pr-curves")
    // Many curves push the legend outside the plot.
    let many = try Figure.precisionRecall(
      Synthetic.prCurves(methods: ["DPQ", "PQ", "OPQ", "RQ"], bits: [8, 16, 24, 32]))
    #expect(many.panels[0].legend == .outsideRight)
    try renderPNGAndSVG(many, name: "pr-curves-many")
  }

  @Test func precisionAtNCurves() throws {
    try renderPNGAndSVG(try Figure.precisionAtN(Synthetic.precisionAtN(), logScaleN: true), name: "precision-at-n")
  }

  @Test func codewordUsageHistograms() throws {
    let counts = Synthetic.codewordCounts()
    let panels = try Figure.codewordUsage(counts)
    #expect(panels.panels.count == 4)
    #expect(panels.panels[3].title.contains("of 64 used"))
    // Hand-worked: two of four codewords used equally, so perplexity exp(log 2) = 2.
    let small = try Figure.codewordUsage([[0, 5, 5, 0]])
    #expect(small.panels[0].title == "block 1: 2 of 4 used, perplexity 2.0")
    try renderPNGAndSVG(panels, name: "codeword-usage")
    let overlaid = try Figure.codewordUsage(counts, layout: .overlaid, sortedByCount: true)
    #expect(overlaid.panels.count == 1)
    try renderPNGAndSVG(overlaid, name: "codeword-usage-overlaid")
  }

  @Test func blockDistortionBarsAndLines() throws {
    let series: [(name: String, values: [Double])] = [
      ("train", [1.8, 0.9, 0.55, 0.38]), ("test", [1.9, 1.0, 0.63, 0.45]),
    ]
    let bars = try Figure.blockDistortion(series)
    #expect(bars.panels[0].series.count == 2)
    try renderPNGAndSVG(bars, name: "distortion-bars")
    try renderPNGAndSVG(try Figure.blockDistortion(series, style: .lines), name: "distortion-lines")
  }

  @Test func pcaProjectionOfFeaturesAndReconstructions() throws {
    let (features, labels) = try Synthetic.clusters(classes: 5, perClass: 60, dimension: 24, separation: 3, seed: 9)
    let reconstructions = try reconstructionsOf(features)
    let figure = try Figure.projection(
      features: features, reconstructions: reconstructions, labels: labels,
      classNames: ["T-shirt", "trouser", "pullover", "dress", "coat"])
    #expect(figure.panels.count == 6)
    #expect(figure.layout == (2, 3))
    try renderPNGAndSVG(figure, name: "projection-pca")
  }

  @Test func tsneProjectionOfFeaturesAndReconstructions() throws {
    let (features, labels) = try Synthetic.clusters(classes: 4, perClass: 25, dimension: 16, separation: 3, seed: 4)
    let reconstructions = Array(try reconstructionsOf(features).suffix(1))
    let figure = try Figure.projection(
      features: features, reconstructions: reconstructions, labels: labels,
      method: .tsne(TSNEOptions(perplexity: 15, iterations: 400)))
    #expect(figure.panels.count == 3)
    try renderPNGAndSVG(figure, name: "projection-tsne")
  }

  @Test func retrievalGridGrayscale() throws {
    let database = try Synthetic.images(count: 30, channels: 1, size: 28)
    let queries = try Synthetic.images(count: 2, channels: 1, size: 28)
    let ranking = [[0, 9, 18, 3, 27, 1, 10, 4], [1, 10, 19, 28, 2, 5, 7, 11]]
    let relevant = ranking.enumerated().map { q, row in row.map { $0 % 9 == q } }
    let figure = try Figure.retrievalGrid(queries: queries, database: database, ranking: ranking, relevant: relevant)
    #expect(figure.panels[0].rectangles.count == 2 + 16)
    #expect(figure.panels[0].rectangles.filter { $0.color == .relevant }.count == relevant.joined().filter { $0 }.count)
    try renderPNGAndSVG(figure, name: "retrieval-gray")
  }

  @Test func retrievalGridRGB() throws {
    let database = try Synthetic.images(count: 12, channels: 3, size: 32)
    let queries = try Synthetic.images(count: 1, channels: 3, size: 32)
    let ranking = [[0, 4, 8, 1, 2, 3]]
    let figure = try Figure.retrievalGrid(
      queries: queries, database: database, ranking: ranking,
      relevant: [ranking[0].map { $0 % 4 == 0 }])
    try renderPNGAndSVG(figure, name: "retrieval-rgb")
  }

  /// Normalised images (values outside [0, 1]) are mapped to [0, 1] together, keeping their order.
  @Test func retrievalGridRescalesNormalisedImages() throws {
    let database = try Synthetic.images(count: 6, channels: 1, size: 8) * 4 - 2
    let query = try database.slice(axis: 0, range: 0..<1)
    let figure = try Figure.retrievalGrid(
      queries: query, database: database, ranking: [[0, 1, 2]], relevant: [[true, false, true]])
    let images = figure.panels[0].series.compactMap { s -> Image? in
      if case .image(let i) = s.style { return i } else { return nil }
    }
    #expect(images.count == 4)
    let pixels = images.flatMap(\.pixels)
    #expect(pixels.min() == 0 && pixels.max() == 1)
    // the query (database item 0) and its first result are the same image
    #expect(images[0] == images[1])
    // brightness order is kept: the brightest input pixel is the one mapped to 1
    let raw = try Figure.image(database, index: 0).pixels
    let brightest = raw.indices.max { raw[$0] < raw[$1] } ?? 0
    #expect(images[0].pixels[brightest] == images[0].pixels.max())
  }

  @Test func precisionAtNAxisEndsAtTheData() throws {
    let curves = Synthetic.precisionAtN()
    let figure = try Figure.precisionAtN(curves, logScaleN: true)
    let ns = curves.flatMap(\.n)
    #expect(figure.panels[0].x.minimum == Double(ns.min() ?? 0))
    #expect(figure.panels[0].x.maximum == Double(ns.max() ?? 0))
  }

  @Test func fewEpochsGetWholeTics() throws {
    let short = Synthetic.trainingLog(epochs: 3)
    let few = try Figure.trainingCurves(losses: short.losses, accuracies: short.accuracies)
    #expect(few.panels[0].x.tics?.map(\.value) == [1, 2, 3])
    let long = Synthetic.trainingLog(epochs: 30)
    #expect(try Figure.trainingCurves(losses: long.losses, accuracies: long.accuracies).panels[0].x.tics == nil)
  }

  @Test func retrievalGridRejectsBadIndices() throws {
    let database = try Synthetic.images(count: 3, channels: 1, size: 8)
    #expect(throws: PlotError.self) {
      try Figure.retrievalGrid(
        queries: database, database: database, ranking: [[5], [0], [1]],
        relevant: [[true], [true], [true]])
    }
  }

  /// Noisy copies standing in for 8/16/24/32-bit reconstructions: fewer bits, more noise.
  func reconstructionsOf(_ features: Tensor) throws -> [(bits: Int, values: Tensor)] {
    var rng = RandomGenerator(seed: 21)
    return try Synthetic.bits.map { b in
      let noise = Float(3.0 / Double(b / 8))
      let values = features.scalars.map { $0 * 0.8 + noise * rng.nextNormal() }
      return (b, try Tensor(shape: features.shape, scalars: values))
    }
  }
}
