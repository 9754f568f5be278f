import Foundation

/// Printing tensors the way PyTorch does: `tensor([[ 1.0000, -2.5000], ...], shape: [2, 2])`,
/// with aligned columns, wrapped rows and `...` summaries of large tensors.

/// How tensors print, like `torch.set_printoptions` (set `Tensor.printOptions` to change the
/// default, or pass options to `formatted(_:)`).
public struct TensorPrintOptions: Equatable, Sendable {
  /// Digits after the decimal point.
  public var precision: Int
  /// Tensors with more elements than this are summarised with `...`.
  public var threshold: Int
  /// How many leading and trailing entries of each axis a summary keeps.
  public var edgeItems: Int
  /// Rows of a vector wrap to stay within this many characters.
  public var lineWidth: Int
  /// Force (true) or forbid (false) scientific notation; nil chooses as PyTorch does: scientific
  /// when the largest and smallest non-zero magnitudes differ by more than 1000x, the largest
  /// exceeds 1e8 or the smallest is below 1e-4.
  public var scientific: Bool?

  public init(
    precision: Int = 4, threshold: Int = 1000, edgeItems: Int = 3, lineWidth: Int = 80,
    scientific: Bool? = nil
  ) {
    self.precision = precision
    self.threshold = threshold
    self.edgeItems = edgeItems
    self.lineWidth = lineWidth
    self.scientific = scientific
  }
}

extension Tensor: CustomStringConvertible, CustomDebugStringConvertible {
  /// The options `description` uses.
  nonisolated(unsafe) public static var printOptions = TensorPrintOptions()

  /// The values in PyTorch's layout followed by the shape: `tensor([1.0000, 2.0000], shape: [2])`.
  public var description: String { formatted(Tensor.printOptions) }

  /// `description` plus the autodiff state: `..., op: "mul", requiresGrad: true)`.
  public var debugDescription: String {
    var s = formatted(Tensor.printOptions)
    s.removeLast()
    if let op { s += ", op: \"\(op)\"" }
    return s + ", requiresGrad: \(requiresGrad))"
  }

  /// The values laid out with the given options.
  public func formatted(_ options: TensorPrintOptions) -> String {
    let prefix = "tensor("
    let values = UnsafeBufferPointer(start: storage.pointer, count: count)
    if rank == 0 {
      let f = ScalarFormat(values: [values[0]], options: options)
      return prefix + f.string(values[0]) + ")"
    }
    if count == 0 { return prefix + "[], shape: \(fmt(shape)))" }
    let layout = PrintLayout(shape: shape, options: options)
    let format = ScalarFormat(values: layout.visibleValues(values), options: options)
    let body = layout.render(values, format: format, indent: prefix.count)
    return prefix + body + ", shape: \(fmt(shape)))"
  }
}

/// Which entries of each axis are shown: all of them, or the first and last `edgeItems` with a
/// gap between when the tensor is summarised.
private struct PrintLayout {
  let shape: [Int]
  let strides: [Int]
  /// Shown positions per axis.
  let visible: [[Int]]
  /// Per axis, the place in `visible` where `...` goes (nil: nothing is hidden).
  let gap: [Int?]
  let lineWidth: Int

  init(shape: [Int], options: TensorPrintOptions) {
    self.shape = shape
    strides = Tensor.strides(of: shape)
    lineWidth = options.lineWidth
    let summarise = shape.reduce(1, *) > options.threshold
    let edge = Swift.max(0, options.edgeItems)
    var visible: [[Int]] = []
    var gap: [Int?] = []
    for n in shape {
      if summarise && n > 2 * edge {
        visible.append(Array(0..<edge) + Array((n - edge)..<n))
        gap.append(edge)
      } else {
        visible.append(Array(0..<n))
        gap.append(nil)
      }
    }
    self.visible = visible
    self.gap = gap
  }

  /// The values a summary shows; the number format is chosen from these alone.
  func visibleValues(_ values: UnsafeBufferPointer<Float>) -> [Float] {
    var out: [Float] = []
    func walk(_ axis: Int, _ offset: Int) {
      if axis == shape.count {
        out.append(values[offset])
        return
      }
      for i in visible[axis] { walk(axis + 1, offset + i * strides[axis]) }
    }
    walk(0, 0)
    return out
  }

  func render(_ values: UnsafeBufferPointer<Float>, format: ScalarFormat, indent: Int) -> String {
    render(values, format: format, axis: 0, offset: 0, indent: indent)
  }

  private func render(
    _ values: UnsafeBufferPointer<Float>, format: ScalarFormat, axis: Int, offset: Int,
    indent: Int
  ) -> String {
    let last = axis == shape.count - 1
    var items = visible[axis].map { i in
      last
        ? format.padded(values[offset + i * strides[axis]])
        : render(values, format: format, axis: axis + 1, offset: offset + i * strides[axis], indent: indent + 1)
    }
    if let g = gap[axis] { items.insert(last ? " ..." : "...", at: g) }
    let pad = String(repeating: " ", count: indent + 1)
    if !last {
      // sub-blocks: one line per row, a blank line between matrices, two between rank-3 blocks ...
      let separator = "," + String(repeating: "\n", count: shape.count - axis - 1) + pad
      return "[" + items.joined(separator: separator) + "]"
    }
    let perLine = Swift.max(1, (lineWidth - indent) / (format.width + 2))
    let lines = stride(from: 0, to: items.count, by: perLine).map {
      items[$0..<Swift.min($0 + perLine, items.count)].joined(separator: ", ")
    }
    return "[" + lines.joined(separator: ",\n" + pad) + "]"
  }
}

/// Fixed or scientific notation at the chosen precision, right-aligned to the widest value.
private struct ScalarFormat {
  let scientific: Bool
  let precision: Int
  private(set) var width = 0

  init(values: [Float], options: TensorPrintOptions) {
    precision = Swift.max(0, options.precision)
    var lo = Double.infinity
    var hi = 0.0
    for v in values where v.isFinite && v != 0 {
      let m = Double(Swift.abs(v))
      lo = Swift.min(lo, m)
      hi = Swift.max(hi, m)
    }
    if let forced = options.scientific {
      scientific = forced
    } else {
      scientific = hi > 0 && (hi / lo > 1000 || hi > 1e8 || lo < 1e-4)
    }
    width = values.reduce(0) { Swift.max($0, string($1).count) }
  }

  func string(_ v: Float) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return String(format: scientific ? "%.\(precision)e" : "%.\(precision)f", Double(v))
  }

  func padded(_ v: Float) -> String {
    let s = string(v)
    return s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
  }
}
