/// Frees the script values that only reference each other. Values are reference counted, so a
/// function defined in a scope that holds it (every `def`: the scope keeps the function, the
/// function keeps its scope), or a list that holds itself, would never be freed: a session's
/// globals would outlive it, and each call of a function that defines an inner function would
/// keep its scope, and the tensors in it, for good.
///
/// Every cycle passes through an object that something was stored into after it was made: a
/// function's scope that a closure captured, or a list or record that a container value was
/// stored into (an object made with its contents cannot be among them). The collector keeps weak
/// references to those objects only (so a call without inner functions costs nothing), and
/// between top-level statements, once enough of them piled up, marks what the globals reach and
/// empties the others; at `reset()` and when the session ends it empties all of them.
final class CycleCollector {
  private struct Entry { weak var object: AnyObject? }
  private var entries: [Entry] = []
  /// The number of entries at which the next collection runs: twice the survivors of the last.
  private var threshold = CycleCollector.minimumThreshold
  static let minimumThreshold = 4096

  /// Notes `scope` when a closure captures it (function scopes only; the globals are the root).
  func closureCaptured(_ scope: Environment) {
    guard scope.kind == .function, !scope.cycleTracked else { return }
    scope.cycleTracked = true
    entries.append(Entry(object: scope))
  }

  /// Notes `container` when `value` is stored into it and can hold references itself.
  func stored(_ value: Value, into container: Value) {
    guard value.canReferenceOthers else { return }
    switch container {
    case .list(let l) where !l.cycleTracked:
      l.cycleTracked = true
      entries.append(Entry(object: l))
    case .record(let r) where !r.cycleTracked:
      r.cycleTracked = true
      entries.append(Entry(object: r))
    default: break
    }
  }

  /// The objects noted and not freed yet.
  var trackedCount: Int { entries.count }

  /// Collects when enough objects have been noted since the last collection.
  func collectIfDue(roots: Environment) {
    if entries.count >= threshold { collect(roots: roots) }
  }

  /// Empties every noted object that `roots` does not reach. Runs only where no call is active,
  /// so nothing on the native stack holds a value the globals do not.
  func collect(roots: Environment) {
    var reached = Set<ObjectIdentifier>()
    var pending: [Value] = []
    func visit(_ scope: Environment) {
      var s: Environment? = scope
      while let e = s, reached.insert(ObjectIdentifier(e)).inserted {
        pending.append(contentsOf: e.values.values)
        s = e.parent
      }
    }
    visit(roots)
    while let v = pending.popLast() {
      switch v {
      case .list(let l):
        if reached.insert(ObjectIdentifier(l)).inserted { pending.append(contentsOf: l.items) }
      case .record(let r):
        if reached.insert(ObjectIdentifier(r)).inserted { pending.append(contentsOf: r.fields.map(\.value)) }
      case .function(let c):
        if reached.insert(ObjectIdentifier(c)).inserted { visit(c.environment) }
      case .method(let m):
        if reached.insert(ObjectIdentifier(m)).inserted { pending.append(m.receiver) }
      default: break
      }
    }
    var unreached: [AnyObject] = []
    entries = entries.filter { entry in
      guard let o = entry.object else { return false }
      if reached.contains(ObjectIdentifier(o)) { return true }
      unreached.append(o)
      return false
    }
    // emptied after the walk, so no object is freed while it is still being looked at
    for o in unreached { Self.empty(o) }
    unreached.removeAll()
    threshold = max(Self.minimumThreshold, 2 * entries.count)
  }

  /// Empties every noted object (the session is over, or reset).
  func emptyAll() {
    let objects = entries.compactMap(\.object)
    entries = []
    threshold = Self.minimumThreshold
    for o in objects { Self.empty(o) }
  }

  private static func empty(_ o: AnyObject) {
    switch o {
    case let e as Environment:
      e.cycleTracked = false
      e.values.removeAll()
    case let l as ListObject:
      l.cycleTracked = false
      l.items.removeAll()
    case let r as RecordObject:
      r.cycleTracked = false
      r.removeAll()
    default: break
    }
  }
}

extension Value {
  /// Whether the value can hold references to other script values (and so close a cycle).
  var canReferenceOthers: Bool {
    switch self {
    case .list, .record, .function, .method: return true
    default: return false
    }
  }
}
