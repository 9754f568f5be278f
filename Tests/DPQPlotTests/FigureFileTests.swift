import Foundation
import Testing

@testable import DPQData
@testable import DPQPlot

/// Saving a figure replaces the old file only with a complete one: gnuplot draws into a scratch
/// directory, its output is checked, and the copy into place is atomic (issue 12: a full disk
/// left a truncated PNG in place of the old one, and saving exited 0).
@Suite(.serialized) struct FigureFileTests {
  let figure: Figure
  init() throws { figure = try Figure.mapByCodeLength(Synthetic.mapResults()) }

  @Test func aFailedSaveKeepsTheOldFile() throws {
    let path = outputDirectory + "/keep-\(UUID().uuidString.prefix(6)).png"
    try Data("old figure".utf8).write(to: URL(fileURLWithPath: path))
    AtomicWriter.injectFailure(path: path, errno: ENOSPC)
    defer { AtomicWriter.injectFailure(path: path, errno: nil) }
    #expect(throws: PlotError.self) { try strictRenderer.save(figure, to: path) }
    #expect(String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self) == "old figure")
    let dir = (path as NSString).deletingLastPathComponent
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir).allSatisfy { !$0.contains(".tmp-") })
  }

  @Test func aTruncatedPNGOrSVGIsRefused() throws {
    let png = outputDirectory + "/short-\(UUID().uuidString.prefix(6)).png"
    try strictRenderer.save(figure, to: png)
    try Renderer.checkComplete(png, png: true)
    let whole = try #require(FileManager.default.contents(atPath: png))
    try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: png))
    #expect(throws: PlotError.self) { try Renderer.checkComplete(png, png: true) }
    let svg = outputDirectory + "/short-\(UUID().uuidString.prefix(6)).svg"
    try Data("<svg><g>".utf8).write(to: URL(fileURLWithPath: svg))
    #expect(throws: PlotError.self) { try Renderer.checkComplete(svg, png: false) }
  }

  @Test func aFigureIsSavedThroughASymlinkWithItsPermissions() throws {
    let dir = outputDirectory + "/link-\(UUID().uuidString.prefix(6))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try Data("old".utf8).write(to: URL(fileURLWithPath: dir + "/real.png"))
    chmod(dir + "/real.png", 0o600)
    try FileManager.default.createSymbolicLink(atPath: dir + "/fig.png", withDestinationPath: "real.png")
    try strictRenderer.save(figure, to: dir + "/fig.png")
    let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/fig.png")
    #expect(attributes[.type] as? FileAttributeType == .typeSymbolicLink)
    try Renderer.checkComplete(dir + "/real.png", png: true)
    let real = try FileManager.default.attributesOfItem(atPath: dir + "/real.png")
    #expect((real[.posixPermissions] as? Int) == 0o600)
  }
}
