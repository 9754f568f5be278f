/// An sRGB colour, 8 bits per channel.
public struct Color: Hashable, Sendable, CustomStringConvertible {
  public var red: UInt8, green: UInt8, blue: UInt8

  public init(red: UInt8, green: UInt8, blue: UInt8) {
    self.red = red
    self.green = green
    self.blue = blue
  }

  /// A colour from 0xRRGGBB.
  public init(_ rgb: UInt32) {
    self.init(red: UInt8((rgb >> 16) & 0xff), green: UInt8((rgb >> 8) & 0xff), blue: UInt8(rgb & 0xff))
  }

  /// `#rrggbb`, the form gnuplot's `rgb` colour spec takes.
  public var hex: String {
    let digits = Array("0123456789abcdef")
    var s = "#"
    for c in [red, green, blue] {
      s.append(digits[Int(c >> 4)])
      s.append(digits[Int(c & 15)])
    }
    return s
  }

  public var description: String { hex }

  public static let black = Color(0x000000)
  public static let gray = Color(0x7f7f7f)
  /// Frame colour of a relevant retrieved image.
  public static let relevant = Color(0x1a9641)
  /// Frame colour of an irrelevant retrieved image.
  public static let irrelevant = Color(0xd7191c)
}

/// The colours every dpq figure uses, so a method or a code length has the same colour in the
/// mAP plot, the PR curves and the P@N curves.
public enum Palette {
  /// Ten distinguishable colours (matplotlib's tab10) for classes, loss terms and blocks.
  public static let categories: [Color] = [
    Color(0x1f77b4), Color(0xff7f0e), Color(0x2ca02c), Color(0xd62728), Color(0x9467bd),
    Color(0x8c564b), Color(0xe377c2), Color(0x7f7f7f), Color(0xbcbd22), Color(0x17becf),
  ]

  /// The colour of category `index` (wraps around after ten).
  public static func category(_ index: Int) -> Color {
    categories[((index % categories.count) + categories.count) % categories.count]
  }

  /// Fixed colours for the methods dpq compares (Okabe-Ito colours, safe for colour blindness).
  public static let methods: [String: Color] = [
    "dpq": Color(0xd55e00), "pq": Color(0x0072b2), "opq": Color(0x009e73), "rq": Color(0xcc79a7),
    "aq": Color(0xe69f00), "lsq": Color(0x56b4e9), "itq": Color(0x999999), "sh": Color(0xf0e442),
  ]

  /// Colours for methods without a fixed one, handed out in order of appearance (neighbours in
  /// the list differ in hue and lightness, so two extra methods on one plot stay apart).
  static let extraMethodColors: [Color] = [
    Color(0x332288), Color(0x44aa99), Color(0x882255), Color(0x999933), Color(0x117733), Color(0xaa4499),
  ]

  /// A colour per method name for one figure: known methods get their fixed colour, others the
  /// next unused extra colour.
  public static func methodColors(_ names: [String]) -> [String: Color] {
    var result: [String: Color] = [:]
    var next = 0
    for name in names where result[name] == nil {
      if let c = methods[name.lowercased()] {
        result[name] = c
      } else {
        result[name] = extraMethodColors[next % extraMethodColors.count]
        next += 1
      }
    }
    return result
  }

  /// Fixed colours for the code lengths of the paper (8, 16, 24, 32 bits) and common others.
  public static let codeLengths: [Int: Color] = [
    4: Color(0xfdae61), 8: Color(0xe69f00), 12: Color(0xa6611a), 16: Color(0x56b4e9), 24: Color(0x009e73),
    32: Color(0x7b3294), 48: Color(0x404040), 64: Color(0x0072b2),
  ]

  /// The colour of a code length in bits.
  public static func codeLength(_ bits: Int) -> Color {
    codeLengths[bits] ?? category(bits / 8)
  }

  /// Dash types for code lengths when colour already encodes the method: longer codes draw
  /// more solid lines.
  public static func dashType(bits: Int) -> Int {
    switch bits {
    case 32...: return 1
    case 24..<32: return 2
    case 16..<24: return 4
    default: return 3
    }
  }

  /// Point types per method, so curves stay distinguishable in print.
  public static func pointType(methodIndex: Int) -> Int {
    let types = [7, 5, 9, 11, 13, 15]
    return types[methodIndex % types.count]
  }
}
