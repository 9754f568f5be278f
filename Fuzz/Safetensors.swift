// Fuzz target: the safetensors reader (8-byte header length, JSON header, data offsets), then every
// entry as a tensor or as integers; a successful read must survive an encode/decode round trip.
import DPQData
import DPQTensor
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  Tensor.maxElements = 1 << 24
  let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
  let path = "fuzz.safetensors"
  do {
    let file = try SafeTensors.decode(bytes, path: path)
    for e in file.entries {
      do { _ = try file.tensor(e.name, path: path) } catch { checkRefusal(error, path: path) }
      do { _ = try file.integers(e.name, path: path) } catch { checkRefusal(error, path: path) }
    }
    let again = try SafeTensors.decode(file.encoded(), path: path)
    require(
      again.entries.map(\.name) == file.entries.map(\.name) && again.metadata == file.metadata,
      "the round trip changed the file")
  } catch { checkRefusal(error, path: path) }
  return 0
}
