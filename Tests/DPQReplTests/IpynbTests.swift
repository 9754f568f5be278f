import DPQBindings
import DPQLanguage
import Foundation
import Testing

@testable import DPQRepl

/// `dpq notebook FILE.ipynb` and `dpq notebook FILE.dpq --to ipynb`.
@Suite struct IpynbTests {
  /// A Jupyter notebook with a markdown cell and two code cells, sources as line lists.
  static let document = """
    {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
     "cells": [
      {"cell_type": "markdown", "metadata": {}, "source": ["# Title\\n", "prose"]},
      {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [],
       "source": ["x = 6 * 7\\n", "print(\\"x is {x}\\")\\n"]},
      {"cell_type": "raw", "metadata": {}, "source": "not run"},
      {"cell_type": "code", "metadata": {}, "execution_count": null, "outputs": [], "source": "x\\n[1, 2][5]"}
     ]}
    """

  @Test func anIpynbReadsAsCells() throws {
    let notebook = try Ipynb.notebook(parsing: Data(IpynbTests.document.utf8), file: "n.ipynb")
    #expect(notebook.cells.map(\.kind) == [.markdown, .code, .code])
    #expect(notebook.cells.map(\.source) == ["# Title\nprose", "x = 6 * 7\nprint(\"x is {x}\")", "x\n[1, 2][5]"])
    #expect(notebook.cells.map(\.file) == [nil, "n.ipynb:cell 1", "n.ipynb:cell 2"])
  }

  @Test func otherFilesAreRefusedWithTheReason() {
    #expect(throws: ReplError.self) { try Ipynb.notebook(parsing: Data("[1]".utf8), file: "a.ipynb") }
    let old = #"{"nbformat": 3, "worksheets": []}"#
    do {
      _ = try Ipynb.notebook(parsing: Data(old.utf8), file: "old.ipynb")
      Issue.record("nbformat 3 was accepted")
    } catch {
      #expect("\(error)" == "'old.ipynb' is not a Jupyter notebook: nbformat 3, expected 4")
    }
  }

  @Test func anIpynbRunsLikeAScriptAndErrorsNameTheCell() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try temporaryDirectory("ipynb")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try IpynbTests.document.write(toFile: dir + "/n.ipynb", atomically: true, encoding: .utf8)
    let r = try runProcess(dpq, ["notebook", "n.ipynb", "--out", "out"], directory: dir)
    #expect(r.status == 1)
    #expect(r.standardError.hasPrefix("n.ipynb:cell 2:2:"), "\(r.standardError)")
    let report = try String(contentsOfFile: dir + "/out/n.md", encoding: .utf8)
    #expect(report.contains("x is 42\n"))
    #expect(report.contains("```text\n42\n```"))
  }

  @Test func aScriptConvertsToIpynbWithItsOutputs() throws {
    guard let dpq = builtBinary() else { return }
    let dir = try temporaryDirectory("to-ipynb")
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let r = try runProcess(dpq, ["notebook", Paths.fixtures + "/figures.dpq", "--out", dir, "--to", "ipynb"])
    #expect(r.status == 0, "\(r.standardError)")
    let data = try #require(FileManager.default.contents(atPath: dir + "/figures.ipynb"))
    let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(root["nbformat"] as? Int == 4)
    let kernelspec = (root["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any]
    #expect(kernelspec?["name"] as? String == "dpq")
    let cells = try #require(root["cells"] as? [[String: Any]])
    #expect(cells.map { $0["cell_type"] as? String } == ["markdown", "code"])
    let outputs = try #require(cells[1]["outputs"] as? [[String: Any]])
    #expect(outputs.map { $0["output_type"] as? String } == ["stream", "display_data", "stream", "display_data"])
    let png = (outputs[1]["data"] as? [String: Any])?["image/png"] as? String
    #expect(png?.hasPrefix("iVBORw0KGgo") == true)
    #expect(cells[1]["execution_count"] as? Int == 1)
    // the file is valid nbformat, by the Jupyter project's own validator
    let python = Paths.repositoryRoot + "/.venv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
      Issue.record("\(python) is missing: run scripts/setup")
      return
    }
    let check = try runProcess(
      python,
      [
        "-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4))",
        dir + "/figures.ipynb",
      ])
    #expect(check.status == 0, "\(check.standardError)")
    // and it runs again as a notebook
    let again = try runProcess(dpq, ["notebook", dir + "/figures.ipynb", "--out", dir + "/again"])
    #expect(again.status == 0, "\(again.standardError)")
  }
}
