// Fuzz target: the CSV dataset reader (quoting, headers, label columns, text and integer labels).
// The first byte picks the label column, the header setting and the separator.
import DPQData
import DPQTensor
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  Tensor.maxElements = 1 << 24
  let mode = data[0]
  let path = scratchFile(UnsafeRawBufferPointer(start: data + 1, count: size - 1), name: "table.csv")
  let column: CSV.LabelColumn = mode & 3 == 3 ? .name("label") : .index(Int(mode & 3) - 1)
  let header: Bool? = [nil, true, false, nil][Int(mode >> 2) & 3]
  let separator: Character = mode & 16 != 0 ? ";" : ","
  do {
    let d = try CSV.load(path, labelColumn: column, hasHeader: header, separator: separator)
    require(d.features.rank == 2 && d.features.shape[0] == d.labels.count)
    require(d.labels.allSatisfy { $0 >= 0 && $0 < d.classCount }, "labels outside 0..<\(d.classCount)")
  } catch { checkRefusal(error, path: path) }
  return 0
}
