/// Errors of the REPL, script and notebook runners (script errors are `ScriptError`).
public enum ReplError: Error, CustomStringConvertible {
  /// A script or notebook that cannot be read.
  case unreadable(path: String)
  /// A report, figure or directory that cannot be written.
  case cannotWrite(path: String, reason: String)
  /// An .ipynb file that is not an nbformat 4 notebook.
  case invalidNotebook(path: String, reason: String)

  public var description: String {
    switch self {
    case .unreadable(let path): return "cannot read '\(path)': no such file, or not readable"
    case .cannotWrite(let path, let reason): return "cannot write '\(path)': \(reason)"
    case .invalidNotebook(let path, let reason): return "'\(path)' is not a Jupyter notebook: \(reason)"
    }
  }
}
