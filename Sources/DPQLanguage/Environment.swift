/// A scope of variables. There is one global scope per session and one scope per function call;
/// blocks (`if`, `while`, `for`) do not open scopes, as in Python.
///
/// Assignment rule (`x = v`): at top level it sets a global. Inside a function it sets `x` in the
/// nearest enclosing *function* scope that already has it (so closures can keep counters), and
/// otherwise creates a local. A function never rebinds a global: `x = v` makes a local, and
/// `x += v` on a global is an error. Globals stay readable, and lists and records they hold can be
/// changed in place.
public final class Environment {
  enum Kind { case global, function }

  var values: [String: Value] = [:]
  /// Whether the cycle collector holds a weak reference to this scope.
  var cycleTracked = false
  let parent: Environment?
  let kind: Kind

  init(parent: Environment?, kind: Kind) {
    self.parent = parent
    self.kind = kind
  }

  /// The value of `name` in this scope or an enclosing one.
  func lookup(_ name: String) -> Value? {
    var scope: Environment? = self
    while let s = scope {
      if let v = s.values[name] { return v }
      scope = s.parent
    }
    return nil
  }

  /// The scope an assignment to `name` writes to, following the rule above.
  func assignmentScope(for name: String) -> Environment {
    if kind == .global { return self }
    var scope: Environment? = self
    while let s = scope, s.kind == .function {
      if s.values[name] != nil { return s }
      scope = s.parent
    }
    return self
  }

  /// Every name visible from this scope (for suggestions and completion).
  var visibleNames: Set<String> {
    var names = Set<String>()
    var scope: Environment? = self
    while let s = scope {
      names.formUnion(s.values.keys)
      scope = s.parent
    }
    return names
  }
}
