import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

@Suite struct GoldenTests {
  /// Every top-level `.dpq` file of the Golden folder (files under `support/` are loaded by them).
  static let files: [URL] = {
    guard let dir = Bundle.module.url(forResource: "Golden", withExtension: nil),
      let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
    else { return [] }
    return names.filter { $0.hasSuffix(".dpq") }.sorted().map { dir.appendingPathComponent($0) }
  }()

  @Test func goldenFilesExist() {
    #expect(GoldenTests.files.count >= 10)
  }

  @Test(arguments: GoldenTests.files.map(\.lastPathComponent))
  func golden(_ name: String) throws {
    let url = try #require(GoldenTests.files.first { $0.lastPathComponent == name })
    let problems = try GoldenRunner.check(file: url)
    #expect(problems.isEmpty, Comment(rawValue: "\(name):\n" + problems.joined(separator: "\n")))
  }
}
