import Foundation
import Testing

/// The Jupyter kernel through jupyter_client (python/dpq_kernel/tests/test_kernel.py), run with
/// the project's private Python environment. A missing environment or package fails the test:
/// scripts/setup installs them, and CI runs scripts/setup.
@Suite struct JupyterKernelTests {
  static let python = Paths.repositoryRoot + "/.venv/bin/python"
  static let script = Paths.repositoryRoot + "/python/dpq_kernel/tests/test_kernel.py"

  @Test func theKernelWorksThroughJupyterClient() throws {
    guard let dpq = builtBinary() else { return }
    guard FileManager.default.isExecutableFile(atPath: JupyterKernelTests.python) else {
      Issue.record(
        "\(JupyterKernelTests.python) is missing: run scripts/setup (it creates .venv with jupyter_client, ipykernel, nbformat, nbclient)"
      )
      return
    }
    let r = try runProcess(
      JupyterKernelTests.python, [JupyterKernelTests.script],
      environment: ["DPQ_EXECUTABLE": dpq, "PYTHONDONTWRITEBYTECODE": "1"])
    #expect(r.status == 0, "test_kernel.py failed:\n\(r.standardError)\n\(r.standardOutput)")
    // unittest reports on standard error; every test ran and none was skipped
    #expect(r.standardError.contains("Ran 8 tests"), "\(r.standardError)")
    #expect(!r.standardError.contains("skipped"), "\(r.standardError)")
  }
}
