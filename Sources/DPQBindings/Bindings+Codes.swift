import DPQLanguage
import DPQTensor

/// Codes as values: building them from tables, reading their blocks and items.
extension ModelBindings {
  static func registerCodes(into r: inout BuiltinRegistry) {
    let ex = exampleModel
    let codesExample = ex + "c = m.encode(d)\n"
    r.property(
      "count", of: CodesObject.self, family: family, returns: "number", summary: "The number of encoded items.",
      example: codesExample + "c.count"
    ) { .int($0.codes.count) }
    r.method(
      "len", of: CodesObject.self, family: family, returns: "number",
      summary: "The number of encoded items, for len().",
      example: codesExample + "len(c)"
    ) { c, _ in .int(c.codes.count) }
    r.property(
      "blocks", of: CodesObject.self, family: family, returns: "number", summary: "Codes per item (M).",
      example: codesExample + "c.blocks"
    ) { .int($0.codes.blockCount) }
    r.property(
      "codewords", of: CodesObject.self, family: family, returns: "number", summary: "Codewords per block (K).",
      example: codesExample + "c.codewords"
    ) { .int($0.codes.codewordCount) }
    r.method(
      "tensor", of: CodesObject.self, family: family, returns: "tensor", summary: "The codes as an [n, M] tensor.",
      example: codesExample + "c.tensor().shape"
    ) { c, _ in .tensor(c.tensor) }
    r.method(
      "prefix", of: CodesObject.self, family: family, [Parameter("blocks", .integer)], returns: "codes",
      summary: "The first `blocks` codes of every item (a shorter code of the same model).",
      example: codesExample + "c.prefix(1).blocks"
    ) { c, a in .host(CodesObject(try c.codes.prefix(blocks: a.integer("blocks")))) }
    r.add(
      "codes", family: family,
      [Parameter("values", .tensorLike), .keyword("codewords", .integer, default: .number(256))],
      returns: "codes", summary: "Codes from an [n, M] tensor or nested list of integers in 0..codewords-1.",
      example: "codes([[0, 3], [1, 2]], codewords: 4)"
    ) { a in
      let t = try a.tensor("values")
      guard t.rank == 2 else {
        throw a.badArgument("values", "an [n, M] table of codes expected, got shape \(Format.shape(t.shape))")
      }
      let k = try a.integer("codewords")
      let values = try t.scalars.map { x -> Int in
        guard x.rounded() == x, x >= 0, Int(x) < k else {
          throw a.badArgument("values", "codes must be integers in 0...\(k - 1), found \(x)")
        }
        return Int(x)
      }
      return .host(CodesObject(try Codes(count: t.shape[0], blockCount: t.shape[1], codewordCount: k, values: values)))
    }
  }
}
