import ArgumentParser
import DPQRepl
import Foundation

/// `dpq kernel-server`: the JSON-lines session the Jupyter kernel drives (docs/jupyter.md).
/// Hidden: people start it through Jupyter, not by hand.
struct KernelServerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernel-server",
    abstract: "Serve one dpq session over JSON lines on standard input and output (for the Jupyter kernel).",
    shouldDisplay: false)

  @Flag(help: "Send figures as SVG as well as PNG.") var svg = false
  @Option(help: "Seconds between progress lines within one epoch.") var progressInterval: Double = 10

  func run() throws {
    var options = KernelServer.Options(version: DPQCommand.version)
    options.svg = svg
    options.progressInterval = progressInterval
    let status = KernelServer(options: options).run()
    if status != 0 { throw ExitCode(status) }
  }
}
