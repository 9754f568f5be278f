/// Errors of the experiment protocols.
public enum ExperimentError: Error, CustomStringConvertible, Equatable {
  /// A summary was asked of no runs.
  case noResults
  case invalidArgument(String)

  public var description: String {
    switch self {
    case .noResults: return "a seed summary needs one result per seed, and at least one"
    case .invalidArgument(let reason): return reason
    }
  }
}
