import DPQTensor
import Foundation

/// Python-style format specs for `"{x:.3f}"` and `format(x, ".3f")`:
/// `[[fill]align][sign][0][width][,][.precision][type]` with align `<` `>` `^`, sign `+` `-` or
/// space, and type `f` `e` `g` `d` `%` `s` (none: the value's usual text).
enum StringFormatting {
  struct Spec {
    var fill: Character = " "
    var align: Character? = nil
    var sign: Character = "-"
    var zeroPad = false
    var width = 0
    var grouping = false
    var precision: Int? = nil
    var type: Character? = nil
  }

  static func parse(_ text: String) throws -> Spec {
    var spec = Spec()
    var chars = Array(text)[...]
    func invalid() -> ScriptError { .failure("invalid format spec '\(text)'") }
    if chars.count >= 2, "<>^".contains(chars[chars.startIndex + 1]) {
      spec.fill = chars.removeFirst()
      spec.align = chars.removeFirst()
    } else if let c = chars.first, "<>^".contains(c) {
      spec.align = chars.removeFirst()
    }
    if let c = chars.first, "+- ".contains(c) { spec.sign = chars.removeFirst() }
    if chars.first == "0" {
      spec.zeroPad = true
      chars.removeFirst()
    }
    var digits = ""
    while let c = chars.first, c.isASCII, c.isNumber { digits.append(chars.removeFirst()) }
    if !digits.isEmpty {
      guard let w = Int(digits), w <= 1000 else { throw invalid() }
      spec.width = w
    }
    if chars.first == "," {
      spec.grouping = true
      chars.removeFirst()
    }
    if chars.first == "." {
      chars.removeFirst()
      var p = ""
      while let c = chars.first, c.isASCII, c.isNumber { p.append(chars.removeFirst()) }
      guard let n = Int(p), n <= 100 else { throw invalid() }
      spec.precision = n
    }
    if let c = chars.first, "fFeEgGd%s".contains(c) { spec.type = chars.removeFirst() }
    guard chars.isEmpty else { throw invalid() }
    return spec
  }

  static func format(_ value: Value, spec text: String, options: TensorPrintOptions = TensorPrintOptions()) throws
    -> String
  {
    let spec = try parse(text)
    var body: String
    var isNumber = false
    switch (value, spec.type) {
    case (.number(let x), let t) where t != "s":
      isNumber = true
      body = try formatNumber(x, spec, text)
    case (_, "s"), (_, nil):
      body = value.str(options)
      if let p = spec.precision { body = String(body.prefix(p)) }
    default:
      throw ScriptError.failure("format spec '\(text)' needs a number, got \(value.typeName)")
    }
    if isNumber, spec.zeroPad, spec.align == nil, body.count < spec.width {
      let negative = body.hasPrefix("-") || body.hasPrefix("+") || body.hasPrefix(" ")
      let signPart = negative ? String(body.removeFirst()) : ""
      body = signPart + String(repeating: "0", count: spec.width - body.count - signPart.count) + body
    }
    return pad(body, spec, defaultAlign: isNumber ? ">" : "<")
  }

  private static func formatNumber(_ x: Double, _ spec: Spec, _ text: String) throws -> String {
    var s: String
    let magnitude = abs(x)
    switch spec.type {
    case "f", "F": s = String(format: "%.\(spec.precision ?? 6)f", magnitude)
    case "e", "E": s = String(format: "%.\(spec.precision ?? 6)e", magnitude)
    case "g", "G": s = String(format: "%.\(spec.precision ?? 6)g", magnitude)
    case "%": s = String(format: "%.\(spec.precision ?? 6)f", magnitude * 100) + "%"
    case "d":
      guard x == x.rounded(), magnitude < 9e18 else {
        throw ScriptError.failure("format spec 'd' needs an integer, got \(Value.format(number: x))")
      }
      s = String(Int64(magnitude))
    default:
      s = Value.format(number: magnitude)
      if let p = spec.precision { s = String(format: "%.\(p)g", magnitude) }
    }
    if spec.type == "E" || spec.type == "G" { s = s.uppercased() }
    if spec.grouping { s = group(s) }
    let negative = x < 0 || (x == 0 && x.sign == .minus && spec.type != nil && spec.type != "d")
    switch (negative, spec.sign) {
    case (true, _): s = "-" + s
    case (false, "+"): s = "+" + s
    case (false, " "): s = " " + s
    default: break
    }
    return s
  }

  /// Thousands separators in the integer part: 1234567.5 -> 1,234,567.5
  private static func group(_ s: String) -> String {
    let digitsEnd = s.firstIndex { !$0.isNumber } ?? s.endIndex
    let integer = Array(s[..<digitsEnd])
    var out = ""
    for (i, c) in integer.enumerated() {
      if i > 0 && (integer.count - i) % 3 == 0 { out.append(",") }
      out.append(c)
    }
    return out + s[digitsEnd...]
  }

  private static func pad(_ s: String, _ spec: Spec, defaultAlign: Character) -> String {
    let missing = spec.width - s.count
    guard missing > 0 else { return s }
    let fill = { (n: Int) in String(repeating: spec.fill, count: n) }
    switch spec.align ?? defaultAlign {
    case "<": return s + fill(missing)
    case "^": return fill(missing / 2) + s + fill(missing - missing / 2)
    default: return fill(missing) + s
    }
  }
}
