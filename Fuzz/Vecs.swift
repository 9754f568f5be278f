// Fuzz target: the .fvecs / .ivecs / .bvecs readers (each record: int32 dimension, then values),
// plain and gzip-compressed, with and without a record limit. The first byte picks the format.
import DPQData
import DPQTensor
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  Tensor.maxElements = 1 << 24
  let rest = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
  let limit: Int? = data[0] & 8 != 0 ? Int(data[0] >> 4) : nil
  do {
    switch data[0] % 4 {
    case 0:
      let path = scratchFile(rest, name: "base.fvecs")
      do {
        let t = try Vecs.readFvecs(path, limit: limit)
        require(t.rank == 2 && (limit == nil || t.shape[0] <= limit!))
      } catch { checkRefusal(error, path: path) }
    case 1:
      let path = scratchFile(rest, name: "base.bvecs")
      do {
        let t = try Vecs.readBvecs(path, limit: limit)
        require(t.rank == 2 && (limit == nil || t.shape[0] <= limit!))
      } catch { checkRefusal(error, path: path) }
    default:
      let path = scratchFile(rest, name: "groundtruth.ivecs")
      do {
        let a = try Vecs.readIvecs(path, limit: limit)
        require(a.values.count == a.shape.reduce(1, *))
      } catch { checkRefusal(error, path: path) }
    }
  }
  return 0
}
