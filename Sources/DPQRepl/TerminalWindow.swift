import DPQPlot
import Foundation

/// The terminal's size, asked of the terminal itself: only the host (the REPL and `dpq run` on a
/// terminal) touches the terminal, and it hands this to the figure renderer.
enum TerminalWindow {
  /// The window size of `descriptor` when it is a terminal, else nil.
  static func size(of descriptor: Int32 = STDOUT_FILENO) -> TerminalSize? {
    var window = winsize()
    guard ioctl(descriptor, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 else { return nil }
    return TerminalSize(columns: Int(window.ws_col), rows: Int(window.ws_row))
  }
}
