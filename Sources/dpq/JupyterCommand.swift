import ArgumentParser
import CReadline
import DPQRepl
import Foundation

/// `dpq jupyter`: how to use dpq in Jupyter; `dpq jupyter install` installs the kernel.
struct JupyterCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "jupyter",
    abstract: "Use dpq in Jupyter: `dpq jupyter install [--user | --prefix PATH]` installs the `dpq` kernel.",
    subcommands: [JupyterInstallCommand.self])

  func run() throws {
    print(
      """
      dpq runs in Jupyter (JupyterLab, Notebook, VS Code) through the kernel named `dpq`.

        dpq jupyter install --user          for the current user (python3 on PATH)
        dpq jupyter install --prefix PATH   into the Python environment at PATH (e.g. a venv)
        dpq jupyter install --sys-prefix    into the environment of the python3 on PATH

      Install pip-installs the kernel's Python part (python/dpq_kernel, needs ipykernel) into that
      environment and writes the kernelspec; the kernel runs this dpq binary:
        \(JupyterInstallCommand.executablePath())
      Then choose the kernel "dpq" in Jupyter. docs/jupyter.md says what works.
      """)
  }
}

/// Pip-installs python/dpq_kernel into the environment named and writes the kernelspec there.
struct JupyterInstallCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "install",
    abstract: "Install the `dpq` Jupyter kernel (the Python wrapper and the kernelspec).")

  @Flag(help: "Install for the current user (~/.local).") var user = false
  @Option(help: "Install into the Python environment at PATH (its bin/python runs pip).") var prefix: String?
  @Flag(help: "Install into the environment of the python3 on PATH.") var sysPrefix = false
  @Option(help: "The python/dpq_kernel source directory (default: found beside this binary's checkout).")
  var source: String?

  func validate() throws {
    if [user, prefix != nil, sysPrefix].filter({ $0 }).count != 1 {
      throw ValidationError("name one place: --user, --prefix PATH or --sys-prefix")
    }
  }

  func run() throws {
    guard let source = source ?? JupyterInstallCommand.findSource() else {
      throw ValidationError(
        "cannot find python/dpq_kernel near \(JupyterInstallCommand.executablePath()); pass --source DIR")
    }
    let python =
      prefix.map { (($0 as NSString).expandingTildeInPath as NSString).appendingPathComponent("bin/python") }
      ?? "python3"
    var pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if user { pip.append("--user") }
    print("jupyter: pip-installing \(source) with \(python)")
    fflush(dpq_stdout()) // before the child writes to the same terminal
    try JupyterInstallCommand.run(python, pip + [source])
    var install = ["-m", "dpq_kernel.install", "--dpq", JupyterInstallCommand.executablePath()]
    if user { install.append("--user") }
    if let prefix { install += ["--prefix", (prefix as NSString).expandingTildeInPath] }
    if sysPrefix { install.append("--sys-prefix") }
    try JupyterInstallCommand.run(python, install)
  }

  /// The absolute path of the running binary, which the kernelspec starts.
  static func executablePath() -> String {
    let path = CommandLine.arguments[0]
    if path.hasPrefix("/") { return (path as NSString).standardizingPath }
    if path.contains("/") {
      return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString)
        .standardizingPath
    }
    return Bundle.main.executablePath ?? path
  }

  /// python/dpq_kernel of the checkout the binary was built in (`.build/<config>/dpq`).
  static func findSource() -> String? {
    var directory = (executablePath() as NSString).deletingLastPathComponent
    for _ in 0..<5 {
      let candidate = (directory as NSString).appendingPathComponent("python/dpq_kernel")
      if FileManager.default.fileExists(atPath: candidate + "/pyproject.toml") { return candidate }
      directory = (directory as NSString).deletingLastPathComponent
    }
    return nil
  }

  static func run(_ executable: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      throw ValidationError(
        "\(executable) \(arguments.joined(separator: " ")) failed with status \(process.terminationStatus)")
    }
  }
}
