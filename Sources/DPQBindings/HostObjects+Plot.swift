import DPQLanguage
import DPQPlot
import Foundation

/// A figure built from script values. Printing it draws it as the session's settings say (text
/// art in a terminal by default); `save(fig, "pr.png")` writes PNG or SVG. Public so a host (the
/// notebook runner) can recognise figures among values and save them itself.
public final class FigureObject: ScriptHost {
  package static let scriptType = "figure"
  public var typeName: String { FigureObject.scriptType }
  /// The figure as DPQPlot describes it.
  public var figure: Figure
  let settings: BindingSettings

  init(_ figure: Figure, settings: BindingSettings) {
    self.figure = figure
    self.settings = settings
  }

  /// `figure "Precision-recall" (1 panel, 4 series)`
  public var summary: String {
    let series = figure.panels.reduce(0) { $0 + $1.series.count }
    return
      "figure \"\(figure.title)\" (\(figure.panels.count) panel\(figure.panels.count == 1 ? "" : "s"), \(series) series)"
  }

  /// The summary line, then the figure drawn as the session's `figureDisplay` says; a drawing
  /// error (no gnuplot) is shown in place of the drawing.
  public var description: String {
    do {
      switch settings.figureDisplay {
      case .summary: return summary
      case .text(let columns, let rows):
        return summary + "\n"
          + trimmed(try settings.renderer.render(figure, to: .terminal(columns: columns, rows: rows)))
      case .sixel:
        return summary + "\n" + (try settings.renderer.render(figure, to: .sixel(width: nil, height: nil)))
      }
    } catch PlotError.stopped {
      return summary + "\n(drawing stopped by request)"
    } catch {
      return summary + "\n(cannot draw it: \(error))"
    }
  }

  private func trimmed(_ s: String) -> String { s.hasSuffix("\n") ? String(s.dropLast()) : s }

  public func setAttribute(_ name: String, _ value: Value) throws -> Bool {
    switch (name, value) {
    case ("title", .string(let s)): figure.title = s
    case ("width", _) where value.integerValue.map { $0 > 0 } ?? false:
      figure.width = value.integerValue ?? figure.width
    case ("height", _) where value.integerValue.map { $0 > 0 } ?? false:
      figure.height = value.integerValue ?? figure.height
    default: return false
    }
    return true
  }
}
