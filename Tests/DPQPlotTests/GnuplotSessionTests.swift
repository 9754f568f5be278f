import Foundation
import Testing

@testable import DPQPlot

/// The bridge: starting gnuplot, errors coming back as Swift errors, no crash when gnuplot is
/// missing or dies.
@Suite struct GnuplotSessionTests {
  @Test func missingGnuplotGivesTheDocumentedError() throws {
    let renderer = Renderer(executable: "/nonexistent")
    let figure = try Figure.mapByCodeLength(Synthetic.mapResults())
    #expect(throws: PlotError.gnuplotMissing(executable: "/nonexistent")) {
      try renderer.render(figure, to: .terminal(columns: 80, rows: 24))
    }
    let message = PlotError.gnuplotMissing(executable: "gnuplot").description
    #expect(message == "gnuplot not found: install gnuplot-nox (scripts/setup does)")
    #expect(throws: PlotError.gnuplotMissing(executable: "no-such-gnuplot-binary")) {
      try GnuplotSession(executable: "no-such-gnuplot-binary")
    }
    #expect(!GnuplotSession.isAvailable(executable: "/nonexistent"))
    #expect(GnuplotSession.isAvailable(executable: "gnuplot"))
  }

  @Test func environmentVariableChoosesTheExecutable() {
    #expect(GnuplotSession.defaultExecutable(environment: ["DPQ_GNUPLOT": "/nonexistent"]) == "/nonexistent")
    #expect(GnuplotSession.defaultExecutable(environment: ["DPQ_GNUPLOT": ""]) == "gnuplot")
    #expect(GnuplotSession.defaultExecutable(environment: [:]) == "gnuplot")
  }

  @Test func gnuplotErrorsBecomeSwiftErrorsWithItsMessage() throws {
    let session = try GnuplotSession()
    try session.send("plot no_such_function(x)")
    do {
      try session.finish()
      Issue.record("expected an error")
    } catch let PlotError.gnuplotFailed(message) {
      #expect(message.contains("undefined function"))
    }
  }

  @Test func renderingErrorNamesTheScriptLine() throws {
    // An empty y range is an error gnuplot reports itself.
    let figure = Figure(panels: [Panel(y: Axis(minimum: 1, maximum: 1), series: [Series(x: [1, 2], y: [1, 2])])])
    do {
      try Renderer().render(figure, to: .terminal(columns: 80, rows: 24))
      Issue.record("expected an error")
    } catch let PlotError.gnuplotFailed(message) {
      #expect(message.contains("figure.gp"))
      #expect(message.contains("line"))
    }
  }

  @Test func deadGnuplotIsAnErrorNotACrash() throws {
    // /bin/true exits at once; writing a lot to it must come back as an error (SIGPIPE ignored).
    let session = try GnuplotSession(executable: "/bin/true")
    let chunk = String(repeating: "# padding to fill the pipe buffer\n", count: 4000)
    #expect(throws: PlotError.self) {
      for _ in 0..<20 { try session.send(chunk) }
      try session.finish()
    }
    #expect(throws: PlotError.self) {
      try Renderer(executable: "/bin/false").render(Figure(series: []), to: .terminal(columns: 80, rows: 24))
    }
  }

  @Test func inlineDataAndWarningsComeBack() throws {
    let out = outputDirectory + "/inline.txt"
    let session = try GnuplotSession()
    try session.send(
      "set terminal dumb size 40,12\nset output '\(out)'\nprint 'hello from gnuplot'\nplot '-' using 1:2 with lines title 'inline'"
    )
    try session.sendData([[0, 0], [1, 1], [2, 4], [3, 9]])
    try session.send("unset output")
    let messages = try session.finish()
    #expect(messages == "hello from gnuplot")
    let text = try String(contentsOfFile: out, encoding: .utf8)
    #expect(text.contains("inline"))
    #expect(throws: PlotError.self) { try session.send("plot x") }
  }

  @Test func dumbTerminalTextHasNoFormFeedAndShowsTheTitle() throws {
    let figure = try Figure.precisionRecall(Synthetic.prCurves(), title: "PR on synthetic data")
    let text = try strictRenderer.render(figure, to: .terminal(columns: 90, rows: 30))
    #expect(!text.contains("\u{0C}"))
    #expect(text.contains("PR on synthetic data"))
    #expect(text.contains("recall"))
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.allSatisfy { $0.count <= 90 && $0.last != " " })
    #expect(lines.count <= 30)
    #expect(lines.first?.isEmpty == false)
  }

  @Test func multiPanelTextAndSixel() throws {
    let figure = try Figure.codewordUsage(Synthetic.codewordCounts(blocks: 2, codewords: 16), title: "Usage τ")
    let text = try strictRenderer.render(figure, to: .terminal(columns: 100, rows: 30))
    #expect(text.contains("Usage τ"))
    #expect(text.contains("block 2"))
    let sixel = try strictRenderer.render(figure, to: .sixel(width: 320, height: 240))
    #expect(sixel.hasPrefix("\u{1B}P"))
  }

  @Test func saveChoosesTheFormatByExtension() throws {
    let figure = try Figure.blockDistortion([("test", [2, 1, 0.5])])
    #expect(throws: PlotError.unsupportedFormat(path: "figure.jpeg")) {
      try strictRenderer.save(figure, to: "figure.jpeg")
    }
    let txt = outputDirectory + "/distortion.txt"
    try strictRenderer.save(figure, to: txt)
    #expect(try String(contentsOfFile: txt, encoding: .utf8).contains("Distortion per block"))
    #expect(try RenderTarget.file("a/b.SVG") == .svg(path: "a/b.SVG"))
  }
}

/// The libgd fallback for gnuplot builds without cairo: force the `else` branch of the script.
@Test func pngFallsBackToLibgd() throws {
  let figure = try Figure.mapByCodeLength(Synthetic.mapResults())
  let dir = outputDirectory + "/libgd"
  try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  let png = dir + "/map-bits-libgd.png"
  var script = try figure.gnuplotScript(terminal: .png(width: 640, height: 480), output: png, dataDirectory: dir)
  #expect(script.text.contains("strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0"))
  script.text = script.text.replacingOccurrences(of: "strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0", with: "0")
  for file in script.dataFiles { try file.contents.write(toFile: file.path, atomically: true, encoding: .utf8) }
  let session = try GnuplotSession()
  try session.send(script.text)
  #expect(try session.finish() == "")
  let data = try #require(FileManager.default.contents(atPath: png))
  #expect(Array(data.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
}
