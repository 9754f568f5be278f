import ArgumentParser
import DPQRepl
import Foundation

/// `dpq` and `dpq repl`: the REPL on a terminal; a script from standard input otherwise; with a
/// file, the same as `dpq run FILE`.
struct InteractiveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repl",
    abstract: "Start the REPL (the default), or run a script read from standard input when it is not a terminal.",
    discussion: """
      At the prompt: ?name for help, :help for the commands, Tab to complete, Ctrl-C to clear \
      the line or stop running work, Ctrl-D to leave. History: ~/.dpq_history, or the file \
      named by DPQ_HISTORY (empty: none).
      """)

  @Argument(help: "A script to run instead (same as `dpq run FILE`).") var file: String?
  @Argument(parsing: .captureForPassthrough, help: "Arguments for the script's args().") var arguments: [String] = []

  func run() throws {
    let status: Int32
    if let file {
      status = Launcher.script(file: file, arguments: RunCommand.stripSeparator(arguments))
    } else {
      status = Launcher.start(version: DPQCommand.version)
    }
    if status != 0 { throw ExitCode(status) }
  }
}

/// `dpq run FILE [--] [args]`: run a script; exit status 1 with the diagnostic on an error.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run", abstract: "Run a script file (- reads standard input).")

  @Argument(help: "The script (.dpq).") var file: String
  @Argument(parsing: .captureForPassthrough, help: "Arguments for the script's args(), after an optional --.")
  var arguments: [String] = []

  func run() throws {
    let status = Launcher.script(file: file == "-" ? nil : file, arguments: RunCommand.stripSeparator(arguments))
    if status != 0 { throw ExitCode(status) }
  }

  static func stripSeparator(_ arguments: [String]) -> [String] {
    arguments.first == "--" ? Array(arguments.dropFirst()) : arguments
  }
}

/// `dpq notebook FILE --out DIR`: run a notebook's cells and write a Markdown report.
struct NotebookCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "notebook",
    abstract:
      "Run a notebook (a script with # %% cells, or an .ipynb) and write DIR/<name>.md with outputs and figures.",
    discussion: """
      Cells start at `# %%` lines; `# %% [markdown]` cells hold prose as `# ` comment lines. The \
      code cells run in order in one session. A failing cell is shown in the report and stops \
      the run (--keep-going runs the rest); either way the exit status is then 1. A Jupyter \
      notebook (FILE.ipynb, nbformat 4) runs the same way. --to ipynb also writes \
      DIR/<name>.ipynb: the cells with their outputs, for the dpq Jupyter kernel.
      """)

  @Argument(help: "The notebook (.dpq).") var file: String
  @Option(name: .long, help: "Directory for the report and its figures (created when missing).") var out: String = "."
  @Flag(help: "Run the remaining cells after a failing one.") var keepGoing = false
  @Option(help: "Also write the notebook with its outputs in this format (ipynb).") var to: String?
  @Argument(parsing: .postTerminator, help: "Arguments for the notebook's args(), after --.")
  var arguments: [String] = []

  func run() throws {
    var options = NotebookRunner.Options(outputDirectory: out, version: DPQCommand.version)
    options.keepGoing = keepGoing
    if let to {
      guard to == "ipynb" else { throw ValidationError("--to takes ipynb, got \(to)") }
      options.writesIpynb = true
    }
    options.arguments = RunCommand.stripSeparator(arguments)
    let status = Launcher.notebook(file: file, options: options)
    if status != 0 { throw ExitCode(status) }
  }
}
