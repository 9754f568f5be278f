/// The type a builtin parameter expects; checked before the builtin runs.
public indirect enum ValueType: Equatable, CustomStringConvertible, Sendable {
  case any
  case number
  /// A number with an integral value.
  case integer
  case string
  case bool
  case list
  case record
  /// A user function, builtin or bound method.
  case function
  case tensor
  /// A tensor, a number or a (nested) list of numbers, converted to a tensor.
  case tensorLike
  /// A list of integers, or a single integer.
  case shape
  /// A host object whose `typeName` is this.
  case host(String)
  case oneOf([ValueType])
  /// The type, or nil.
  case optional(ValueType)

  public var description: String {
    switch self {
    case .any: return "value"
    case .number: return "number"
    case .integer: return "integer"
    case .string: return "string"
    case .bool: return "bool"
    case .list: return "list"
    case .record: return "record"
    case .function: return "function"
    case .tensor: return "tensor"
    case .tensorLike: return "tensor"
    case .shape: return "shape"
    case .host(let name): return name
    case .oneOf(let types): return types.map(\.description).joined(separator: " or ")
    case .optional(let t): return t.description
    }
  }

  /// Whether `value` is acceptable (conversions such as list -> tensor happen later).
  public func accepts(_ value: Value) -> Bool {
    switch (self, value) {
    case (.any, _): return true
    case (.optional, .nilValue): return true
    case (.optional(let t), _): return t.accepts(value)
    case (.oneOf(let types), _): return types.contains { $0.accepts(value) }
    case (.number, .number), (.string, .string), (.bool, .bool), (.list, .list), (.record, .record): return true
    case (.integer, .number): return value.integerValue != nil
    case (.function, .function), (.function, .builtin), (.function, .method): return true
    case (.tensor, .tensor): return true
    case (.tensorLike, .tensor), (.tensorLike, .number), (.tensorLike, .list), (.tensorLike, .bool): return true
    case (.shape, .number): return value.integerValue != nil
    case (.shape, .list(let l)): return l.items.allSatisfy { $0.integerValue != nil }
    case (.host(let name), .host(let h)): return h.typeName == name
    default: return false
    }
  }

  /// How a rejected value is described: `number`, or `1.5` when an integer was wanted.
  func describeRejected(_ value: Value) -> String {
    switch (self, value) {
    case (.integer, .number), (.shape, .number), (.optional(.integer), .number):
      return value.repr()
    case (.shape, .list): return "a list with non-integers"
    default: return value.typeName
    }
  }
}
