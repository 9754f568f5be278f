// Fuzz target: the IDX reader (MNIST-layout images and labels), plain and gzip-compressed.
// The first byte picks the entry point: a bare IDXFile.read, or a Fashion-MNIST directory whose
// images (or labels) file is the rest of the input and whose other file is a valid 2-item file.
import DPQData
import DPQTensor
import Foundation

let validLabels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, 2, 3, 7]
let validImages: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2] + [UInt8](repeating: 128, count: 8)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  Tensor.maxElements = 1 << 24
  let rest = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
  switch data[0] % 3 {
  case 0:
    let path = scratchFile(rest, name: "file-idx")
    do {
      let file = try IDXFile.read(path)
      require(
        file.dimensions.reduce(1, *) == file.bytes.count, "dimensions \(file.dimensions) but \(file.bytes.count) values"
      )
    } catch { checkRefusal(error, path: path) }
  default:
    let imagesFuzzed = data[0] % 3 == 1
    let images =
      imagesFuzzed
      ? scratchFile(rest, name: "train-images-idx3-ubyte")
      : validImages.withUnsafeBytes { scratchFile($0, name: "train-images-idx3-ubyte") }
    _ =
      imagesFuzzed
      ? validLabels.withUnsafeBytes { scratchFile($0, name: "train-labels-idx1-ubyte") }
      : scratchFile(rest, name: "train-labels-idx1-ubyte")
    do {
      let d = try FashionMNIST.load(.train, directory: fuzzDirectory)
      require(d.features.shape == [d.count, 1, d.features.shape[2], d.features.shape[3]])
      require(d.labels.allSatisfy { (0..<10).contains($0) })
    } catch { checkRefusal(error, path: fuzzDirectory) }
    _ = images
  }
  return 0
}
