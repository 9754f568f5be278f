/// Errors raised by tensor operations. Every case names the operation and the shapes involved,
/// so a user (or the script language) can say exactly what went wrong.
public enum TensorError: Error, CustomStringConvertible, Equatable {
  case shapeMismatch(op: String, lhs: [Int], rhs: [Int])
  case invalidShape(op: String, shape: [Int], reason: String)
  case invalidReshape(from: [Int], to: [Int])
  case indexOutOfRange(op: String, index: Int, bound: Int)
  case invalidAxis(op: String, axis: Int, rank: Int)
  case invalidArgument(op: String, reason: String)
  case noGradient(op: String)
  case tooLarge(op: String, elements: Int, bytes: Int)
  /// Within the element limit, but more than the memory left under an rlimit or cgroup limit.
  case outOfMemory(op: String, bytes: Int, available: Int, cap: String)

  public var description: String {
    switch self {
    case .shapeMismatch(let op, let lhs, let rhs):
      return "\(op): shapes \(fmt(lhs)) and \(fmt(rhs)) are not compatible"
    case .invalidShape(let op, let shape, let reason):
      return "\(op): invalid shape \(fmt(shape)): \(reason)"
    case .invalidReshape(let from, let to):
      return "reshape: cannot reshape \(fmt(from)) (\(from.reduce(1, *)) elements) to \(fmt(to))"
    case .indexOutOfRange(let op, let index, let bound):
      return "\(op): index \(index) is out of range for size \(bound)"
    case .invalidAxis(let op, let axis, let rank):
      return "\(op): axis \(axis) is out of range for a tensor of rank \(rank)"
    case .invalidArgument(let op, let reason):
      return "\(op): \(reason)"
    case .noGradient(let op):
      return "\(op): the tensor does not require grad or has no graph to differentiate"
    case .outOfMemory(let op, let bytes, let available, let cap):
      return
        "\(op): a tensor of \(bytes / 1_048_576) MiB does not fit in the \(available / 1_048_576) MiB left under \(cap)"
        + " (\(MemoryLimit.reserveBytes >> 20) MiB kept for dpq itself)"
    case .tooLarge(let op, let elements, let bytes):
      let limit = Tensor.elementLimit
      let size = elements == Int.max ? "more than 2^63 elements" : "\(elements) elements (\(bytes / 1_048_576) MiB)"
      return
        "\(op): a tensor of \(size) is too large; dpq allocates at most \(limit) elements (\(limit / 262_144) MiB) per tensor on this machine"
    }
  }
}

/// Formats a shape the way NumPy prints it: `[2, 3]`.
func fmt(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// The text of a NUL-terminated message buffer a C function filled (up to its first NUL).
package func messageText(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
