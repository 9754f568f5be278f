/// A position in a script: file name, 1-based line and column, and the length of the span
/// the diagnostic underlines (`^~~~`).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int
  /// Characters covered by the construct, at least 1.
  public var length: Int

  public init(file: String, line: Int, column: Int, length: Int = 1) {
    self.file = file
    self.line = line
    self.column = column
    self.length = Swift.max(1, length)
  }

  /// `file.dpq:12:7`
  public var description: String { "\(file):\(line):\(column)" }

  /// The same position with a different span length.
  func spanning(_ length: Int) -> SourceLocation {
    SourceLocation(file: file, line: line, column: column, length: length)
  }

  /// A span from this location to the end of `other` when both are on one line.
  func through(_ other: SourceLocation) -> SourceLocation {
    guard other.file == file, other.line == line, other.column >= column else { return self }
    return spanning(other.column + other.length - column)
  }
}
