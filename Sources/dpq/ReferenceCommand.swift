import ArgumentParser
import DPQBindings
import DPQData
import DPQLanguage
import Foundation

/// `dpq reference`: the language's builtin reference, generated from the registry that `help`
/// reads, so docs/language.md cannot drift from the interpreter (scripts/docs runs it).
struct ReferenceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "reference",
    abstract: "Print the reference of every builtin as Markdown, or rewrite it in a document.",
    discussion: """
      Without options the reference goes to standard output. --update FILE replaces the section \
      between FILE's builtins:begin and builtins:end markers (written atomically); --check FILE \
      exits with status 1 when that section is out of date. scripts/docs runs \
      `dpq reference --update docs/language.md`.
      """)

  @Option(name: .long, help: "Rewrite the builtin section of this Markdown file.")
  var update: String?

  @Option(name: .long, help: "Exit with status 1 when this Markdown file's builtin section is out of date.")
  var check: String?

  func run() throws {
    let registry = BuiltinRegistry.standard()
    guard update != nil || check != nil else {
      print(HelpRenderer.markdown(registry), terminator: "")
      return
    }
    for (path, rewrite) in [(update, true), (check, false)] {
      guard let path else { continue }
      let doc: String
      do { doc = try String(contentsOfFile: path, encoding: .utf8) } catch {
        throw ValidationError("reference: cannot read \(path): \(error.localizedDescription)")
      }
      let generated: String
      do { generated = try HelpRenderer.splicingReference(registry, into: doc) } catch {
        throw ValidationError("reference: \(path): \(error)")
      }
      if rewrite {
        if generated != doc { try AtomicWriter.write(path, text: generated) }
        print("reference: \(path) \(generated == doc ? "already up to date" : "updated")")
      } else if generated != doc {
        print("reference: \(path) is out of date: run scripts/docs")
        throw ExitCode(1)
      } else {
        print("reference: \(path) is up to date")
      }
    }
  }
}
