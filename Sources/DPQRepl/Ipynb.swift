import DPQBindings
import DPQLanguage
import Foundation

/// Jupyter notebook files (nbformat 4) as `Notebook`s, and a run's cells and outputs back as one.
///
/// Reading keeps markdown and code cells (raw cells are skipped: they are not run in Jupyter
/// either); each code cell's diagnostics name it `FILE.ipynb:cell N` with lines counted from
/// the cell's first line, as Jupyter shows them. Writing gives each code cell its outputs:
/// text as a `stream`, figures as `display_data` with `image/png`, a failure as an `error`
/// whose traceback is the REPL's diagnostic; the kernelspec is `dpq`, so the file opens in
/// Jupyter ready to run with the dpq kernel.
enum Ipynb {
  /// The cells of a notebook document.
  static func notebook(parsing data: Data, file: String) throws -> Notebook {
    guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
      throw ReplError.invalidNotebook(path: file, reason: "not a JSON object")
    }
    guard let format = root["nbformat"] as? Int, format == 4 else {
      throw ReplError.invalidNotebook(
        path: file, reason: "nbformat \(root["nbformat"].map { "\($0)" } ?? "missing"), expected 4")
    }
    guard let cells = root["cells"] as? [[String: Any]] else {
      throw ReplError.invalidNotebook(path: file, reason: "no cells list")
    }
    var result: [Notebook.Cell] = []
    var codeIndex = 0
    for (i, cell) in cells.enumerated() {
      let source: String
      if let s = cell["source"] as? String {
        source = s
      } else if let lines = cell["source"] as? [String] {
        source = lines.joined()
      } else {
        throw ReplError.invalidNotebook(path: file, reason: "cell \(i + 1) has no source")
      }
      switch cell["cell_type"] as? String {
      case "markdown":
        result.append(Notebook.Cell(kind: .markdown, source: trimmed(source), firstLine: 1))
      case "code":
        codeIndex += 1
        let code = trimmed(source)
        guard !code.isEmpty else { continue }
        var c = Notebook.Cell(kind: .code, source: code, firstLine: 1)
        c.file = "\(file):cell \(codeIndex)"
        result.append(c)
      default:
        continue
      }
    }
    return Notebook(cells: result)
  }

  /// Without trailing newlines and blank lines (as a `# %%` cell).
  static func trimmed(_ s: String) -> String {
    var lines = s.components(separatedBy: "\n")
    while let l = lines.last, l.allSatisfy(\.isWhitespace) { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  /// The JSON lines of `text` as nbformat stores them: every line but the last ends in "\n".
  static func sourceLines(_ text: String) -> [String] {
    guard !text.isEmpty else { return [] }
    let lines = text.components(separatedBy: "\n")
    return lines.enumerated().map { $0.offset < lines.count - 1 ? $0.element + "\n" : $0.element }
      .filter { !$0.isEmpty }
  }

  /// A notebook document of a run: cells in order, code cells with their outputs, figures read
  /// from `directory` (where the runner drew them).
  static func document(_ cells: [NotebookRunner.RunCell], directory: String, version: String) -> Data {
    var executionCount = 0
    // nbformat 4.5 gives every cell an id
    let json: [[String: Any]] = cells.enumerated().map { index, run in
      let source = sourceLines(run.cell.source)
      let id = "cell-\(index + 1)"
      if run.cell.kind == .markdown {
        return ["cell_type": "markdown", "id": id, "metadata": [String: Any](), "source": source]
      }
      var outputs: [[String: Any]] = []
      for piece in run.outputs {
        switch piece {
        case .text(let text):
          outputs.append(["output_type": "stream", "name": "stdout", "text": sourceLines(text)])
        case .image(let title, let fileName):
          let path = (directory as NSString).appendingPathComponent(fileName)
          var data: [String: Any] = ["text/plain": [title]]
          if let png = FileManager.default.contents(atPath: path) { data["image/png"] = png.base64EncodedString() }
          outputs.append(["output_type": "display_data", "data": data, "metadata": [String: Any]()])
        }
      }
      if let error = run.error {
        outputs.append([
          "output_type": "error", "ename": KernelServer.errorName(error),
          "evalue": KernelServer.message(of: error),
          "traceback": error.description.components(separatedBy: "\n"),
        ])
      }
      var count: Any = NSNull()
      if run.ran {
        executionCount += 1
        count = executionCount
      }
      return [
        "cell_type": "code", "id": id, "execution_count": count, "metadata": [String: Any](),
        "outputs": outputs, "source": source,
      ]
    }
    let root: [String: Any] = [
      "cells": json,
      "metadata": [
        "kernelspec": ["name": "dpq", "display_name": "dpq", "language": "dpq"],
        "language_info": ["name": "dpq", "file_extension": ".dpq", "mimetype": "text/x-dpq", "version": version],
      ],
      "nbformat": 4,
      "nbformat_minor": 5,
    ]
    let data = (try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    return data + Data("\n".utf8)
  }
}
