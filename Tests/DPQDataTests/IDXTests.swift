import DPQTensor
import Testing

@testable import DPQData

@Suite struct IDXTests {
  @Test func readsRealFashionMNIST() throws {
    try #require(
      fileExists(FashionMNIST.defaultDirectory + "/train-images-idx3-ubyte.gz"),
      "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
    let clock = ContinuousClock()
    let start = clock.now
    let (train, test) = try FashionMNIST.loadAll()
    let elapsed = clock.now - start
    print("Fashion-MNIST: loaded 70,000 images in \(elapsed)")
    #expect(elapsed < .seconds(10), "loading took \(elapsed)")
    #expect(train.count == 60_000)
    #expect(test.count == 10_000)
    #expect(train.features.shape == [60_000, 1, 28, 28])
    #expect(test.features.shape == [10_000, 1, 28, 28])
    #expect(Array(train.labels.prefix(10)) == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5])
    #expect(Array(test.labels.prefix(10)) == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7])
    #expect(train.classCounts() == [Int](repeating: 6000, count: 10))
    #expect(test.classCounts() == [Int](repeating: 1000, count: 10))
    #expect(train.classNames[0] == "T-shirt/top" && train.classNames[9] == "Ankle boot")
    // Pixel sums computed independently with Python's gzip and NumPy.
    func byteSum(_ t: Tensor) -> Int { t.withUnsafeBufferPointer { $0.reduce(0) { $0 + Int(($1 * 255).rounded()) } } }
    #expect(byteSum(train.features) == 3_431_114_169)
    #expect(byteSum(test.features) == 573_469_082)
    #expect(try train.features.value(at: [5, 0, 14, 14]) == Float(184) / 255)
    #expect(try test.features.value(at: [0, 0, 0, 0]) == 0)
    #expect(
      train.description.hasPrefix("Fashion-MNIST train: 60000 items of shape [1, 28, 28], 10 classes (T-shirt/top"))
  }

  @Test func readsPlainAndGzipIdentically() throws {
    let dir = try TemporaryDirectory()
    let values: [UInt8] = (0..<24).map { UInt8($0 * 10) }
    let plain = try dir.write("a-idx3", idxBytes([2, 3, 4], values))
    let zipped = try dir.writeGzip("a-idx3.gz", idxBytes([2, 3, 4], values))
    for path in [plain, zipped] {
      let file = try IDXFile.read(path)
      #expect(file.dimensions == [2, 3, 4])
      #expect(file.bytes == values)
    }
  }

  @Test func loadsMNISTLayoutFromADirectory() throws {
    let dir = try TemporaryDirectory()
    try dir.writeGzip("t10k-images-idx3-ubyte.gz", idxBytes([2, 2, 2], [0, 255, 51, 102, 1, 2, 3, 4]))
    try dir.write("t10k-labels-idx1-ubyte", idxBytes([2], [7, 3])) // plain files are found too
    let data = try MNIST.load(.test, directory: dir.path)
    #expect(data.features.shape == [2, 1, 2, 2])
    #expect(data.features.scalars[0...3] == [0, 1, 0.2, 0.4])
    #expect(data.labels == [7, 3])
    #expect(data.name == "MNIST test")
  }

  @Test func refusesTruncatedFiles() throws {
    let dir = try TemporaryDirectory()
    // The header promises 10000 images of 28x28; the file holds 4000 bytes of them.
    let bytes = idxBytes([10_000, 28, 28], [UInt8](repeating: 1, count: 3984))
    let plain = try dir.write("t10k-images-idx3-ubyte", bytes)
    let error = expectDataError(
      plain,
      [
        "truncated", "header says 10000 images of 28x28 (7840016 bytes)",
        "the file has 4000 bytes",
      ]
    ) { _ = try IDXFile.read(plain) }
    #expect(
      error
        == .truncated(
          path: plain, expected: 7_840_016, actual: 4000,
          detail: "header says 10000 images of 28x28", decompressed: false))
    // Compressed: a complete gzip stream that decompresses to too few bytes ...
    // (incompressible bytes, so the header's size stays within what the gzip file could hold).
    let noise = (0..<3984).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
    let short = try dir.writeGzip("short-idx3-ubyte.gz", idxBytes([100, 28, 28], noise))
    expectDataError(
      short,
      [
        "truncated", "header says 100 images of 28x28 (78416 bytes)",
        "the file decompresses to only 4000 bytes",
      ]
    ) { _ = try IDXFile.read(short) }
    // ... and a gzip file cut in the middle, as an interrupted download leaves it.
    let full = try gzip(idxBytes([100, 28, 28], (0..<78_400).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))
    let cut = try dir.write("cut-idx3-ubyte.gz", Array(full.prefix(full.count / 2)))
    expectDataError(cut, ["truncated", "header says 100 images of 28x28"]) { _ = try IDXFile.read(cut) }
    // Cut inside the 8-byte gzip trailer: all data present, but the checksum cannot be verified.
    let trailer = try dir.write("trailer-idx3-ubyte.gz", Array(full.prefix(full.count - 3)))
    expectDataError(trailer, ["corrupt gzip", "cut short"]) { _ = try IDXFile.read(trailer) }
    // A header cut short.
    let header = try dir.write("header-idx3-ubyte", [0, 0, 8, 3, 0, 0])
    expectDataError(header, ["truncated", "sizes"]) { _ = try IDXFile.read(header) }
  }

  @Test func refusesWrongMagic() throws {
    let dir = try TemporaryDirectory()
    let p = try dir.write("bad-magic", [0x12, 0x34, 8, 3] + [UInt8](repeating: 0, count: 20))
    expectDataError(p, ["bad magic number", "12 34 08 03"]) { _ = try IDXFile.read(p) }
    // A labels file where images are expected (swapped names) is caught from the header alone.
    let labels = try dir.write("train-images-idx3-ubyte", idxBytes([3], [1, 2, 3]))
    expectDataError(labels, ["bad magic number", "00 00 08 01", "00 00 08 03 (images)"]) {
      _ = try IDXFile.read(labels, expectedRank: 3)
    }
    let floats = try dir.write("floats", [0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0])
    expectDataError(floats, ["unsupported element type", "float32"]) { _ = try IDXFile.read(floats) }
  }

  @Test func refusesLyingHeaders() throws {
    let dir = try TemporaryDirectory()
    // More data than declared, plain and gzip.
    let long = idxBytes([2, 2], [1, 2, 3, 4, 5])
    let p = try dir.write("long-idx2", long)
    expectDataError(p, ["does not match", "header says 2 items of 2 (16 bytes) but the file has 17 bytes"]) {
      _ = try IDXFile.read(p)
    }
    let gz = try dir.writeGzip("long-idx2.gz", long)
    expectDataError(gz, ["does not match", "decompressed data is longer"]) { _ = try IDXFile.read(gz) }
    // A gzip file whose header declares far more than deflate could expand it to: refused
    // before any allocation.
    let huge = try dir.writeGzip("huge-idx3.gz", idxBytes([1_000_000, 28, 28], [1, 2, 3]))
    expectDataError(huge, ["does not match", "more than a gzip file of"]) { _ = try IDXFile.read(huge) }
    // Sizes beyond dpq's allocation limit, and a zero dimension.
    let tooBig = try dir.write("big-idx3", idxBytes([0x7fff_ffff, 0x7fff_ffff, 100], []))
    expectDataError(tooBig, ["too large"]) { _ = try IDXFile.read(tooBig) }
    let zero = try dir.write("zero-idx3", idxBytes([5, 0, 28], []))
    expectDataError(zero, ["dimension 1 is 0"]) { _ = try IDXFile.read(zero) }
    // Images and labels that disagree on the count.
    try dir.write("train-images-idx3-ubyte", idxBytes([3, 1, 1], [1, 2, 3]))
    try dir.write("train-labels-idx1-ubyte", idxBytes([2], [1, 2]))
    expectDataError(nil, ["3 images", "2 labels", "train-labels-idx1-ubyte"]) {
      _ = try FashionMNIST.load(.train, directory: dir.path)
    }
  }

  @Test func refusesLabelsOutOfRange() throws {
    let dir = try TemporaryDirectory()
    try dir.write("train-images-idx3-ubyte", idxBytes([2, 1, 1], [1, 2]))
    let labels = try dir.write("train-labels-idx1-ubyte", idxBytes([2], [1, 12]))
    expectDataError(labels, ["label 12 of item 1"]) { _ = try FashionMNIST.load(.train, directory: dir.path) }
  }

  @Test func refusesEmptyMissingAndGarbageFiles() throws {
    let dir = try TemporaryDirectory()
    let empty = try dir.write("empty-idx1-ubyte.gz", [])
    expectDataError(empty, ["empty"]) { _ = try IDXFile.read(empty) }
    let garbage = try dir.write("garbage-idx1-ubyte.gz", Array("<html>404 Not Found</html>".utf8))
    expectDataError(garbage, ["not a gzip file", "3c 68"]) { _ = try IDXFile.read(garbage) }
    // Gzip magic followed by garbage.
    let corrupt = try dir.write(
      "corrupt.gz", [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xff, count: 40))
    expectDataError(corrupt, ["corrupt gzip data"]) { _ = try IDXFile.read(corrupt) }
    let missingDirectory = dir.path + "/nowhere"
    expectDataError("t10k-labels-idx1-ubyte.gz", ["no such file", "dataset-fashion-mnist"]) {
      _ = try FashionMNIST.load(.test, directory: missingDirectory)
    }
    expectDataError(dir.path, ["is a directory"]) { _ = try IDXFile.read(dir.path) }
  }
}
