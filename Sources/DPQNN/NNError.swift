import DPQTensor

/// Errors raised by layers, losses, optimizers and state dictionaries. Every case names the layer
/// or key involved so a user can act on the message.
public enum NNError: Error, CustomStringConvertible, Equatable {
  /// A layer received an input of the wrong rank or size; `expected` describes what it needs.
  case badInput(layer: String, expected: String, shape: [Int])
  /// A constructor or function argument is out of its domain.
  case invalidArgument(op: String, reason: String)
  /// A class label lies outside `0..<classCount`.
  case labelOutOfRange(op: String, label: Int, classCount: Int)
  /// `loadStateDict` found no entry for a parameter or buffer of the module.
  case missingKey(String)
  /// `loadStateDict` was given an entry the module does not have.
  case unexpectedKey(String)
  /// `loadStateDict` was given a tensor whose shape differs from the module's.
  case stateShapeMismatch(key: String, expected: [Int], got: [Int])
  /// A `Module` subclass did not override `forward(_:)`.
  case forwardNotImplemented(module: String)

  public var description: String {
    switch self {
    case .badInput(let layer, let expected, let shape):
      return "\(layer): expected \(expected), got an input of shape \(shapeText(shape))"
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    case .labelOutOfRange(let op, let label, let classCount):
      return "\(op): label \(label) is out of range for \(classCount) classes"
    case .missingKey(let key):
      return "loadStateDict: no entry for '\(key)'"
    case .unexpectedKey(let key):
      return "loadStateDict: unexpected entry '\(key)' (the module has no parameter or buffer of that name)"
    case .stateShapeMismatch(let key, let expected, let got):
      return "loadStateDict: '\(key)' has shape \(shapeText(got)) but the module expects \(shapeText(expected))"
    case .forwardNotImplemented(let module):
      return "\(module) does not implement forward(_:)"
    }
  }
}

/// Formats a shape as NumPy prints it: `[2, 3]`.
func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
