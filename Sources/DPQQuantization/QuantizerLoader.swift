import DPQTensor

/// Rebuilds any quantizer from what `configuration` and `stateTensors()` returned: the entry
/// point of the model-file layer.
public enum QuantizerLoader {
  /// The `type` values `load` understands.
  public static let knownTypes = ["pq", "opq", "rq", "dpq"]

  /// The quantizer a configuration and its state tensors describe (untrained when no tensors).
  public static func load(configuration: [String: String], tensors: [String: Tensor]) throws -> any VectorQuantizer {
    guard let type = configuration["type"] else {
      throw QuantizationError.invalidConfiguration(
        key: "type", value: nil, reason: "missing (expected one of \(knownTypes.joined(separator: ", ")))")
    }
    switch type {
    case "pq": return try ProductQuantizer(configuration: configuration, tensors: tensors)
    case "opq": return try OptimizedProductQuantizer(configuration: configuration, tensors: tensors)
    case "rq": return try ResidualQuantizer(configuration: configuration, tensors: tensors)
    case "dpq": return try DPQQuantizer(configuration: configuration, tensors: tensors)
    default: throw QuantizationError.unknownQuantizerType(type)
    }
  }

  /// `load` from the (name, tensor) pairs `stateTensors()` returns.
  public static func load(configuration: [String: String], tensors: [(String, Tensor)]) throws -> any VectorQuantizer {
    try load(configuration: configuration, tensors: Dictionary(tensors, uniquingKeysWith: { a, _ in a }))
  }
}

// MARK: configuration parsing

extension Dictionary where Key == String, Value == String {
  func int(_ key: String) throws -> Int {
    guard let s = self[key] else {
      throw QuantizationError.invalidConfiguration(key: key, value: nil, reason: "missing")
    }
    guard let v = Int(s) else {
      throw QuantizationError.invalidConfiguration(key: key, value: s, reason: "not an integer")
    }
    return v
  }

  func int(_ key: String, default value: Int) throws -> Int { self[key] == nil ? value : try int(key) }

  func uint64(_ key: String, default value: UInt64) throws -> UInt64 {
    guard let s = self[key] else { return value }
    guard let v = UInt64(s) else {
      throw QuantizationError.invalidConfiguration(key: key, value: s, reason: "not an unsigned integer")
    }
    return v
  }

  /// An optional integer stored as a number or "none".
  func optionalInt(_ key: String, default value: Int?) throws -> Int? {
    guard let s = self[key] else { return value }
    if s == "none" { return nil }
    return try int(key)
  }

  func float(_ key: String, default value: Float) throws -> Float {
    guard let s = self[key] else { return value }
    guard let v = Float(s), v.isFinite else {
      throw QuantizationError.invalidConfiguration(key: key, value: s, reason: "not a finite number")
    }
    return v
  }

  func string(_ key: String, default value: String) -> String { self[key] ?? value }
}

extension Dictionary where Key == String, Value == Tensor {
  /// The tensor `name` if present (nil when absent), checked against `shape`.
  func state(_ name: String, shape: [Int]) throws -> Tensor? {
    guard let t = self[name] else { return nil }
    guard t.shape == shape else { throw QuantizationError.invalidState(name: name, expected: shape, got: t.shape) }
    return t
  }
}
