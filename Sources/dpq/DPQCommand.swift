import ArgumentParser
import DPQ
import DPQData
import DPQTensor

/// The `dpq` command: the REPL, scripts, notebooks, experiments and benchmarks.
@main
struct DPQCommand: ParsableCommand {
  static let version = DPQVersion.string

  static let configuration = CommandConfiguration(
    commandName: "dpq",
    abstract: "Deep Progressive Quantization: train, encode, search and evaluate compact codes.",
    version: version,
    subcommands: [
      InteractiveCommand.self, RunCommand.self, NotebookCommand.self,
      ExperimentCommand.self, InfoCommand.self, BenchCommand.self,
      JupyterCommand.self, KernelServerCommand.self, ReferenceCommand.self,
    ],
    defaultSubcommand: InteractiveCommand.self
  )

  /// A SIGTERM or SIGHUP during a save removes the save's temporary file before dpq dies.
  static func main() {
    TemporaryFiles.removeOnTermination()
    main(nil)
  }
}

/// `dpq info`: version and the linear-algebra back end, the facts a benchmark report needs.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info", abstract: "Print the version and the OpenBLAS configuration.")

  func run() throws {
    print("dpq \(DPQCommand.version)")
    print("OpenBLAS core: \(BLAS.coreName)")
    print("threads: \(engineThreadCount) (dpq's workers; OpenBLAS runs single-threaded inside them)")
  }
}
