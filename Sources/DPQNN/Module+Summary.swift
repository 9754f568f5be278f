import DPQTensor

extension Module {
  /// A table of the module's layers: dotted name (indented by depth), type, output shape of the
  /// last call (run a batch first, or pass `inputShape` to run a zero batch in evaluation mode
  /// without recording), and the parameters each holds, then the total.
  public func summary(inputShape: [Int]? = nil) throws -> String {
    if let inputShape {
      let mode = isTraining
      eval()
      defer { train(mode) }
      _ = try Tensor.withNoGrad { try self(Tensor.zeros(inputShape)) }
    }
    var rows: [[String]] = [["Layer", "Type", "Output shape", "Parameters"]]
    for (name, module) in namedModules() where !name.isEmpty {
      let depth = name.split(separator: ".").count - 1
      rows.append([
        String(repeating: "  ", count: depth) + name, module.typeName,
        module.lastOutputShape.map(shapeText) ?? "-", grouped(module.parameterCount),
      ])
    }
    rows.append(["Total", typeName, lastOutputShape.map(shapeText) ?? "-", grouped(parameterCount)])
    let widths = (0..<4).map { c in rows.map { $0[c].count }.max() ?? 0 }
    func line(_ r: [String]) -> String {
      let left = (0..<3).map { r[$0].padding(toLength: widths[$0], withPad: " ", startingAt: 0) }
      let right = String(repeating: " ", count: widths[3] - r[3].count) + r[3]
      return (left + [right]).joined(separator: "  ")
    }
    let rule = String(repeating: "-", count: widths.reduce(0, +) + 6)
    var out = [line(rows[0]), rule]
    out += rows.dropFirst().dropLast().map(line)
    out += [rule, line(rows[rows.count - 1])]
    return out.joined(separator: "\n")
  }
}

/// `1234567` as `1,234,567`.
func grouped(_ n: Int) -> String {
  let digits = String(n)
  var out = ""
  for (i, ch) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(ch)
  }
  return out
}
