import Foundation
import Testing

/// The progress of `train()` on a terminal (a pseudo-terminal from util-linux's `script`): a bar
/// redrawn in place with `\r` and "erase line" when the terminal can do it, plain lines under
/// TERM=dumb, which cannot.
@Suite struct ProgressTerminalTests {
  static let script = """
    d = blobs(n: 64, classes: 4, dim: 8, seed: 1)
    m = dpq(backbone: "mlp", input: 8, hidden: [16], dim: 8, blocks: 2, codewords: 4, classes: 4)
    train(m, d, epochs: 2, batch: 16)
    print("done")

    """

  /// Everything the terminal received when `dpq run` trained with TERM=`term`.
  func terminalOutput(term: String) throws -> String {
    let dir = try temporaryDirectory("progress-\(term)")
    try Self.script.write(toFile: dir + "/train.dpq", atomically: true, encoding: .utf8)
    let command = "env TERM=\(term) '\(Paths.binary)' run train.dpq"
    let r = try runProcess("/usr/bin/script", ["-qec", command, "/dev/null"], directory: dir)
    #expect(r.status == 0, "\(r.standardOutput)\(r.standardError)")
    return r.standardOutput
  }

  @Test func aTerminalGetsTheBarAndTermDumbGetsPlainLines() throws {
    guard builtBinary() != nil else { return }
    let eraseLine = "\r\u{1B}[2K"
    let xterm = try terminalOutput(term: "xterm")
    #expect(xterm.contains(eraseLine) && xterm.contains("epoch 1/2 ["), "\(xterm.debugDescription)")
    let dumb = try terminalOutput(term: "dumb")
    #expect(!dumb.contains("\u{1B}") && !dumb.contains(" [-") && !dumb.contains(" [#"), "\(dumb.debugDescription)")
    #expect(dumb.contains("epoch 1/2") && dumb.contains("done"), "\(dumb.debugDescription)")
  }
}
