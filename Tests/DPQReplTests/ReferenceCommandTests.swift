import Foundation
import Testing

/// `dpq reference`, which scripts/docs runs: the builtin section of a document is checked,
/// rewritten in place and refused without its markers.
@Suite struct ReferenceCommandTests {
  @Test func checksAndRewritesTheBuiltinSection() throws {
    let checked = try runProcess(Paths.binary, ["reference", "--check", Paths.repositoryRoot + "/docs/language.md"])
    #expect(checked.status == 0, "\(checked.standardOutput)\(checked.standardError)")

    let dir = try temporaryDirectory("reference")
    let doc = dir + "/doc.md"
    let begin = "<!-- builtins:begin (generated from the registry by scripts/docs; do not edit) -->\n"
    try ("# Title\n\n" + begin + "stale text\n<!-- builtins:end -->\n\nAfter.\n").write(
      toFile: doc, atomically: true, encoding: .utf8)
    let stale = try runProcess(Paths.binary, ["reference", "--check", doc])
    #expect(stale.status == 1 && stale.standardOutput.contains("out of date: run scripts/docs"))

    let updated = try runProcess(Paths.binary, ["reference", "--update", doc])
    #expect(updated.status == 0 && updated.standardOutput.contains("updated"))
    let text = try String(contentsOfFile: doc, encoding: .utf8)
    let printed = try runProcess(Paths.binary, ["reference"])
    #expect(text == "# Title\n\n" + begin + printed.standardOutput + "<!-- builtins:end -->\n\nAfter.\n")
    #expect(printed.standardOutput.contains("#### `len(x) -> number`"))
    #expect(try runProcess(Paths.binary, ["reference", "--check", doc]).status == 0)

    try "# no markers\n".write(toFile: doc, atomically: true, encoding: .utf8)
    let refused = try runProcess(Paths.binary, ["reference", "--update", doc])
    #expect(refused.status != 0 && refused.standardError.contains("\(doc): no line"))
    #expect(try String(contentsOfFile: doc, encoding: .utf8) == "# no markers\n")
  }
}
