import DPQBindings
import DPQLanguage
import Foundation
import Testing

@testable import DPQRepl

/// Tab completion: attributes, keywords, names, commands, and paths inside strings, plus the
/// translation to the region readline replaces.
@Suite struct CompleterTests {
  func completer(_ setup: String = "t = zeros([2, 2])\nweights = 1\nwidth = 2") -> Completer {
    let session = ScriptSession(output: StringOutputSink())
    _ = session.run(source: setup, file: "setup.dpq")
    return Completer(session: session)
  }

  /// A directory with `alpha.csv`, `alpine.txt`, `beta/` and `.hidden`.
  func files() throws -> String {
    let dir = try temporaryDirectory("paths")
    for name in ["alpha.csv", "alpine.txt", ".hidden"] {
      _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data())
    }
    try FileManager.default.createDirectory(atPath: dir + "/beta", withIntermediateDirectories: false)
    return dir
  }

  @Test func attributesAfterADot() {
    let c = completer().complete("t.sh")
    #expect(c.word == "sh")
    #expect(c.candidates == ["shape"])
  }

  @Test func namesAndBuiltins() {
    let c = completer().complete("x = wei")
    #expect(c == .init(word: "wei", candidates: ["weights"]))
    #expect(completer().complete("zer").candidates == ["zeros"])
  }

  @Test func keywordNamesInsideACall() {
    let c = completer().complete("randn([2], se")
    #expect(c.word == "se")
    #expect(c.candidates.first == "seed: ")
  }

  @Test func commandsAndHelp() {
    #expect(completer().complete(":va") == .init(word: ":va", candidates: [":vars"]))
    #expect(completer().complete(":").candidates == ReplCommand.names)
    #expect(completer().complete("?zer").candidates == ["zeros"])
    #expect(completer().complete(":time t.sh").candidates == ["shape"])
  }

  @Test func pathsInsideAString() throws {
    let dir = try files()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let c = completer().complete("data = load(\"\(dir)/al")
    #expect(c.word == "\(dir)/al")
    #expect(c.candidates == ["\(dir)/alpha.csv", "\(dir)/alpine.txt"])
    #expect(
      completer().complete("x = '\(dir)/").candidates == ["\(dir)/alpha.csv", "\(dir)/alpine.txt", "\(dir)/beta/"])
    #expect(completer().complete("x = '\(dir)/.h").candidates == ["\(dir)/.hidden"])
    #expect(completer().complete(":load \(dir)/b").candidates == ["\(dir)/beta/"])
  }

  @Test func relativePathsUseTheCompletersDirectory() throws {
    let dir = try files()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    var c = completer()
    c.directory = dir
    #expect(c.complete("load(\"be").candidates == ["beta/"])
    #expect(c.complete("load(\"beta/").candidates == [])
  }

  @Test func openStringDetection() {
    #expect(Completer.openString(in: "load(\"data/tr") == "data/tr")
    #expect(Completer.openString(in: "x = \"a\\\"b") == "a\\\"b")
    #expect(Completer.openString(in: "\"a\" + \"b\"") == nil)
    #expect(Completer.openString(in: "x = 1 # \"comment") == nil)
    #expect(Completer.openString(in: "s = \"\"\"line\nmore") == "line\nmore")
    #expect(Completer.openString(in: "'it' + \"") == "")
  }

  @Test func readlineRegionTranslation() {
    let editor = ReadlineEditor(completer: completer(), historyPath: nil)
    defer { editor.close() }
    // "t.sh": readline breaks at ".", so it replaces "sh" (bytes 2..<4)
    #expect(editor.readlineCandidates(line: Array("t.sh".utf8), start: 2, end: 4).candidates == ["shape"])
    // ":va": readline breaks at ":", our word includes it, so the candidate drops the ":"
    #expect(editor.readlineCandidates(line: Array(":va".utf8), start: 1, end: 3).candidates == ["vars"])
    // a keyword after "(": readline's word starts after the parenthesis, like ours
    #expect(
      editor.readlineCandidates(line: Array("randn([2], se".utf8), start: 11, end: 13).candidates.first == "seed: ")
  }
}
