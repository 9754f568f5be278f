import DPQTensor
import Foundation

/// NumPy-like text for tensors: aligned columns, rows on their own lines, and the middle of
/// long axes elided (`...`) so a large tensor prints in a screenful.
enum TensorFormatting {
  /// Axes longer than this print their first and last `edgeItems` entries only.
  static let summariseAbove = 1000
  static let edgeItems = 3

  static func describe(_ t: Tensor) -> String {
    let shape = t.shape
    let values = t.scalars
    if shape.isEmpty { return "tensor(\(format(values.first ?? 0, style: style(for: values))))" }
    let summarise = values.count > summariseAbove
    let strides = Tensor.strides(of: shape)
    // the elements that will be shown decide the style and the column width
    var shown: [Int] = []
    func collect(_ axis: Int, _ offset: Int) {
      if axis == shape.count { shown.append(offset); return }
      for i in indices(shape[axis], summarise) where i >= 0 { collect(axis + 1, offset + i * strides[axis]) }
    }
    collect(0, 0)
    let st = style(for: shown.map { values[$0] })
    let width = shown.map { format(values[$0], style: st).count }.max() ?? 1
    let prefix = "tensor("
    func render(_ axis: Int, _ offset: Int, indent: Int) -> String {
      if axis == shape.count {
        let s = format(values[offset], style: st)
        return String(repeating: " ", count: width - s.count) + s
      }
      let separator = axis == shape.count - 1 ? ", " : "," + String(repeating: "\n", count: shape.count - 1 - axis) + String(repeating: " ", count: indent + 1)
      let parts = indices(shape[axis], summarise).map { i in
        i < 0 ? "..." : render(axis + 1, offset + i * strides[axis], indent: indent + 1)
      }
      return "[" + parts.joined(separator: separator) + "]"
    }
    return prefix + render(0, 0, indent: prefix.count) + ")"
  }

  /// The indices of an axis to show; -1 marks the elided middle.
  private static func indices(_ n: Int, _ summarise: Bool) -> [Int] {
    if !summarise || n <= 2 * edgeItems { return Array(0..<n) }
    return Array(0..<edgeItems) + [-1] + Array((n - edgeItems)..<n)
  }

  private enum Style { case integer, fixed, scientific }

  private static func style(for values: [Float]) -> Style {
    let finite = values.filter { $0.isFinite }
    if finite.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e8 }) { return .integer }
    let magnitudes = finite.map { abs($0) }.filter { $0 > 0 }
    if let big = magnitudes.max(), let small = magnitudes.min(), big >= 1e8 || small < 1e-4 { return .scientific }
    return .fixed
  }

  private static func format(_ x: Float, style: Style) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x < 0 ? "-inf" : "inf" }
    switch style {
    case .integer: return String(Int64(x))
    case .fixed: return String(format: "%.4f", Double(x))
    case .scientific: return String(format: "%.4e", Double(x))
    }
  }
}
