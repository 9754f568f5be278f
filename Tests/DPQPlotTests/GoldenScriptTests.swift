import Foundation
import Testing

@testable import DPQPlot

/// The generated gnuplot scripts of two figures, compared line by line with golden files.
/// Regenerate with DPQ_UPDATE_GOLDEN=1 after an intended change, and review the diff.
@Suite struct GoldenScriptTests {
  func check(_ figure: Figure, golden name: String) throws {
    let script = try figure.gnuplotScript(
      terminal: .png(width: figure.width, height: figure.height),
      output: "/OUT/figure.png", dataDirectory: "/DATA")
    if ProcessInfo.processInfo.environment["DPQ_UPDATE_GOLDEN"] == "1" {
      let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/\(name)")
      try script.text.write(to: source, atomically: true, encoding: .utf8)
    }
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Golden"))
    let expected = try String(contentsOf: url, encoding: .utf8)
    let got = script.text.split(separator: "\n", omittingEmptySubsequences: false)
    let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
    for (i, (g, w)) in zip(got, want).enumerated() where g != w {
      Issue.record("\(name) line \(i + 1):\n  got:  \(g)\n  want: \(w)")
      break
    }
    #expect(got.count == want.count)
  }

  @Test func trainingCurvesScript() throws {
    let log = Synthetic.trainingLog(epochs: 5)
    let figure = try Figure.trainingCurves(losses: log.losses, accuracies: log.accuracies)
    try check(figure, golden: "training-curves.gp")
  }

  @Test func precisionRecallScript() throws {
    try check(try Figure.precisionRecall(Synthetic.prCurves()), golden: "pr-curves.gp")
  }

  @Test func dataFilesHoldOneBlockPerSeries() throws {
    let figure = try Figure.precisionRecall(Synthetic.prCurves())
    let script = try figure.gnuplotScript(
      terminal: .svg(width: 800, height: 600), output: "o.svg", dataDirectory: "/DATA/")
    #expect(script.dataFiles.count == 1)
    #expect(script.dataFiles[0].path == "/DATA/panel-1.dat")
    let blocks = script.dataFiles[0].contents.components(separatedBy: "\n\n\n")
    #expect(blocks.count == 4)
    #expect(blocks[0].split(separator: "\n").first == "0 0.8833333") // DPQ 16 bits at recall 0
    #expect(script.text.contains("'/DATA/panel-1.dat' index 3 using 1:2"))
  }

  @Test func quotingAndNumberFormats() {
    #expect(quote("it's") == "'it''s'")
    #expect(quote("two\nlines") == "'two lines'")
    #expect(format(3) == "3")
    #expect(format(-0.25) == "-0.25")
    #expect(format(.nan) == "NaN")
    #expect(format(.infinity) == "NaN")
    #expect(format(1e-7) == "1e-07")
  }

  @Test func sameFigureSameScript() throws {
    let a = try Figure.mapByCodeLength(Synthetic.mapResults()).gnuplotScript(
      terminal: .dumb(columns: 80, rows: 24), output: "o", dataDirectory: "/d")
    let b = try Figure.mapByCodeLength(Synthetic.mapResults()).gnuplotScript(
      terminal: .dumb(columns: 80, rows: 24), output: "o", dataDirectory: "/d")
    #expect(a == b)
  }

  @Test func invalidFiguresAreRejectedBeforeGnuplot() {
    let mismatched = Figure(series: [Series(x: [1, 2, 3], y: [1, 2])])
    #expect(throws: PlotError.self) {
      try mismatched.gnuplotScript(terminal: .png(width: 800, height: 600), output: "o", dataDirectory: "/d")
    }
    let noAxis = Figure(series: [Series(x: [1], y: [1], onSecondYAxis: true)])
    #expect(throws: PlotError.self) {
      try noAxis.gnuplotScript(terminal: .png(width: 800, height: 600), output: "o", dataDirectory: "/d")
    }
    #expect(throws: PlotError.self) { try Figure.trainingCurves(losses: [("loss", [1, 2])], epochs: [1, 2, 3]) }
    #expect(throws: PlotError.self) { try Figure.trainingCurves(losses: [("loss", [1, 0])], logScaleLoss: true) }
    #expect(throws: PlotError.self) { try Figure.mapByCodeLength([("DPQ", [8, 16], [0.5])]) }
  }
}
