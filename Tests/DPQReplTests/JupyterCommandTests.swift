import Foundation
import Testing

/// `dpq jupyter` and the argument checks of `dpq jupyter install` (the install itself runs pip;
/// docs/jupyter.md, checked by hand with --prefix .venv).
@Suite struct JupyterCommandTests {
  @Test func jupyterSaysHowToInstallTheKernel() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["jupyter"])
    #expect(r.status == 0)
    #expect(r.standardOutput.contains("dpq jupyter install --user"))
    #expect(r.standardOutput.contains(Paths.binary)) // the binary the kernelspec will run
  }

  @Test func installNeedsExactlyOnePlace() throws {
    guard let dpq = builtBinary() else { return }
    for arguments in [["jupyter", "install"], ["jupyter", "install", "--user", "--sys-prefix"]] {
      let r = try runProcess(dpq, arguments)
      #expect(r.status != 0)
      #expect(r.standardError.contains("name one place: --user, --prefix PATH or --sys-prefix"), "\(r.standardError)")
    }
  }

  @Test func theKernelServerIsHiddenFromHelp() throws {
    guard let dpq = builtBinary() else { return }
    let r = try runProcess(dpq, ["--help"])
    #expect(r.standardOutput.contains("jupyter"))
    #expect(!r.standardOutput.contains("kernel-server"))
  }
}
