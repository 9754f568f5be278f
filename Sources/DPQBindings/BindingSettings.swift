import DPQLanguage
import DPQPlot
import Foundation

/// How a figure shows when the REPL or `print` displays it.
public enum FigureDisplay: Equatable {
  /// Text art drawn by gnuplot's `dumb` terminal; nil takes the terminal's size.
  case text(columns: Int?, rows: Int?)
  /// Sixel graphics (for terminals that show them), at the figure's size.
  case sixel
  /// One summary line; the host shows or saves the figure itself (the notebook runner).
  case summary
}

/// Per-session settings of the library bindings, set by the host (REPL, `dpq run`, notebooks,
/// tests): where progress goes, how figures are drawn and shown.
///
///     session.bindingSettings.progress = TerminalProgressBar(output: sink)   // on a TTY (DPQRepl)
///     session.bindingSettings.progress = PlainProgressLog(output: sink)      // otherwise
public final class BindingSettings {
  /// Receives progress of long work (training, experiments); nil shows none.
  public var progress: ProgressReporter?
  /// Draws figures (the gnuplot executable, time limit).
  public var renderer = Renderer()
  /// How printing a figure shows it.
  public var figureDisplay: FigureDisplay = .text(columns: nil, rows: nil)

  public init() {}
}

extension Interpreter {
  /// The binding settings of this interpreter's session (created on first use).
  public var bindingSettings: BindingSettings { SettingsTable.shared.settings(for: self) }
}

extension ScriptSession {
  /// The binding settings of this session: progress reporter, figure renderer and display.
  public var bindingSettings: BindingSettings { interpreter.bindingSettings }

  /// Shorthand for `bindingSettings.progress`.
  public var progressReporter: ProgressReporter? {
    get { bindingSettings.progress }
    set { bindingSettings.progress = newValue }
  }
}

/// Settings by interpreter. The interpreter is the language core and keeps no binding state, so
/// the bindings keep theirs here, keyed by the interpreter's identity and dropped when it goes.
private final class SettingsTable: @unchecked Sendable {
  static let shared = SettingsTable()

  private struct Entry {
    weak var interpreter: Interpreter?
    let settings: BindingSettings
  }

  private let lock = NSLock()
  private var entries: [ObjectIdentifier: Entry] = [:]

  func settings(for interpreter: Interpreter) -> BindingSettings {
    lock.lock()
    defer { lock.unlock() }
    let key = ObjectIdentifier(interpreter)
    if let e = entries[key], e.interpreter === interpreter { return e.settings }
    entries = entries.filter { $0.value.interpreter != nil }
    let settings = BindingSettings()
    entries[key] = Entry(interpreter: interpreter, settings: settings)
    return settings
  }
}
