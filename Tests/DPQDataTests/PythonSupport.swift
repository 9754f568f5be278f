import Foundation
import Testing

/// The project's private Python (`.venv` from scripts/setup) for tests that compare with Pillow,
/// NumPy or PyTorch. A missing interpreter or module fails the test: a skipped comparison
/// would pass while proving nothing.
enum ProjectPython {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// The interpreter, after checking that `modules` import; records an issue and throws if not.
  static func require(_ modules: [String]) throws -> String {
    let py = root.appendingPathComponent(".venv/bin/python").path
    try #require(FileManager.default.isExecutableFile(atPath: py), "no \(py): run scripts/setup")
    let check = run(py, ["-c", "import " + modules.joined(separator: ", ")])
    try #require(
      check.status == 0, "the .venv lacks \(modules.joined(separator: ", ")) (run scripts/setup): \(check.output)")
    return py
  }

  /// Runs a Python program given as text with arguments; fails the test on a non-zero exit.
  @discardableResult
  static func script(_ py: String, _ source: String, _ arguments: [String] = []) throws -> String {
    let out = run(py, ["-c", source] + arguments)
    try #require(out.status == 0, "python failed: \(out.output)")
    return out.output
  }

  static func run(_ exe: String, _ args: [String]) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    do { try p.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
  }
}
