// Fuzz target: the .npy reader (header dictionary parsing, dtypes, shapes, gzip). The first byte
// picks NPY.read (then a write/read round trip must give the same array), readTensor or readIntegers.
import DPQData
import DPQTensor
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  Tensor.maxElements = 1 << 24
  let path = scratchFile(UnsafeRawBufferPointer(start: data + 1, count: size - 1), name: "array.npy")
  do {
    switch data[0] % 3 {
    case 0:
      let a = try NPY.read(path)
      require(a.count == a.shape.reduce(1, *), "shape \(a.shape) but \(a.count) values")
      let copy = fuzzDirectory + "/copy.npy"
      try NPY.write(a, to: copy)
      let b = try NPY.read(copy)
      require(
        a.shape == b.shape && a.dtype == b.dtype, "round trip changed \(a.shape) \(a.dtype) to \(b.shape) \(b.dtype)")
    case 1:
      let t = try NPY.readTensor(path)
      require(t.count == t.shape.reduce(1, *))
    default:
      let a = try NPY.readIntegers(path)
      require(a.values.count == a.shape.reduce(1, *))
    }
  } catch { checkRefusal(error, path: path) }
  return 0
}
