/// A figure a script showed (`plot(...)`) or saved (`save(fig, "pr.png")`), as its host sees it.
/// It carries closures and strings only, so a host needs to know nothing of the plotting library.
public struct FigureEvent {
  public enum Action: Equatable {
    /// The script displayed the figure.
    case shown
    /// The script wrote the figure to this file.
    case saved(path: String)
  }

  public var action: Action
  /// The figure's title; may be empty.
  public var title: String
  /// Draws the figure into a file, PNG or SVG by the path's extension; throws when the
  /// renderer (gnuplot) is missing or fails.
  public var write: (_ path: String) throws -> Void
  /// Draws the figure as text art of `columns` x `rows` characters.
  public var text: (_ columns: Int, _ rows: Int) throws -> String

  public init(action: Action, title: String, write: @escaping (_ path: String) throws -> Void,
              text: @escaping (_ columns: Int, _ rows: Int) throws -> String) {
    self.action = action
    self.title = title
    self.write = write
    self.text = text
  }
}

/// An output sink that also takes figures: the notebook runner writes them as PNG files beside
/// its report. A binding that shows or saves a figure calls `interpreter.show(_:)`, which hands
/// the event to such a sink; with any other sink a shown figure is written as text art.
public protocol FigureSink: OutputSink {
  func show(_ figure: FigureEvent) throws
}

extension Interpreter {
  /// Passes a figure to the host: to the sink when it takes figures; otherwise a shown figure
  /// is written to the output as text art (80 x 24), and a saved one needs nothing more.
  public func show(_ figure: FigureEvent) throws {
    if let sink = output as? FigureSink {
      try sink.show(figure)
    } else if figure.action == .shown {
      write(try figure.text(80, 24) + "\n")
    }
  }
}
