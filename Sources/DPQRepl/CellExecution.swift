import DPQBindings
import DPQLanguage
import Foundation

/// Runs notebook cells statement by statement, so that every top-level expression's value is
/// shown (as at the REPL: not after `;`, not nil), not only the last one, and figures among them
/// can be saved as images.
enum CellExecution {
  /// Parses and runs `source` (line `firstLine` of `file`) in `session`'s global scope. Each shown
  /// value goes to `show`, which may throw to stop the cell (a figure that cannot be drawn).
  static func run(
    _ source: String, file: String, firstLine: Int, in session: ScriptSession,
    show: @escaping (Value, Stmt) throws -> Void
  ) -> Result<Void, ScriptError> {
    session.onLargeStack {
      let interpreter = session.interpreter
      do {
        interpreter.resetSteps()
        let statements = try interpreter.parse(source, file: file, firstLine: firstLine)
        for statement in statements {
          let value = try interpreter.executeTopLevel([statement])
          if let value, !value.isNil, case .expression(_, let silent) = statement.kind, !silent {
            try show(value, statement)
          }
        }
        return .success(())
      } catch let error as ScriptError {
        if case .failure(let message) = error {
          return .failure(
            .runtime(Diagnostic(message: message, location: SourceLocation(file: file, line: firstLine, column: 1))))
        }
        return .failure(error)
      } catch {
        return .failure(
          .runtime(
            Diagnostic(
              message: String(describing: error), location: SourceLocation(file: file, line: firstLine, column: 1))))
      }
    }
  }
}
