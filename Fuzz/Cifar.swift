// Fuzz target: the CIFAR-10 binary batch reader (3,073-byte records: label, then 3x32x32 pixels).
import DPQData
import DPQTensor
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  Tensor.maxElements = 1 << 24
  let path = scratchFile(UnsafeRawBufferPointer(start: data, count: size), name: "data_batch_1.bin")
  do {
    let d = try CIFAR10.load(files: [path])
    require(d.features.shape == [size / CIFAR10.recordSize, 3, 32, 32], "shape \(d.features.shape) for \(size) bytes")
    require(d.labels.allSatisfy { (0..<10).contains($0) })
  } catch { checkRefusal(error, path: path) }
  return 0
}
