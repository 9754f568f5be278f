/// `ans` for hosts that run cells themselves (the Jupyter kernel), as `evaluate(entry:)` keeps it.
extension ScriptSession {
  /// Stores `value` in `ans`, the last value shown; nil is not stored (as at the REPL).
  public func setAnswer(_ value: Value) {
    guard !value.isNil else { return }
    interpreter.globals.values["ans"] = value
  }
}
