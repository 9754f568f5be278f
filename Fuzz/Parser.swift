import Foundation

// Fuzz target: the lexer and the parser on arbitrary text. Both must terminate without a crash,
// and every diagnostic must point inside the source (line 1 ... lines + 1).
@testable import DPQLanguage

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let lines = source.reduce(1) { $0 + ($1 == "\n" || $1 == "\r\n" ? 1 : 0) }
  let (_, lexDiagnostics) = Lexer.tokenize(source, file: "fuzz.dpq")
  let (_, diagnostics) = Parser.parse(source, file: "fuzz.dpq")
  for d in lexDiagnostics + diagnostics {
    require(!d.message.isEmpty, "an empty diagnostic")
    require(
      d.location.line >= 1 && d.location.line <= lines + 1 && d.location.column >= 1,
      "diagnostic '\(d.message)' at \(d.location.line):\(d.location.column) outside \(lines) lines")
  }
  _ = ScriptSession.isIncomplete(source)
  return 0
}
