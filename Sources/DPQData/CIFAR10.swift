import DPQTensor

/// CIFAR-10 in its binary release (`cifar-10-binary.tar.gz`, extracted): `data_batch_1.bin` to
/// `data_batch_5.bin` and `test_batch.bin`, each a sequence of 3,073-byte records (one label
/// byte, then 1,024 red, 1,024 green and 1,024 blue bytes of a 32x32 image, rows top to bottom).
public enum CIFAR10 {
  public static let classNames = [
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
  ]
  /// Bytes per record.
  public static let recordSize = 3073
  static let hint = "download cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html and extract it"

  /// The 50,000 training or 10,000 test images as `[n, 3, 32, 32]` in [0, 1]. `directory` is
  /// `cifar-10-batches-bin` or the directory that contains it; class names come from its
  /// `batches.meta.txt` when present.
  public static func load(_ part: DatasetPart, directory: String) throws -> LabelledDataset {
    let dir =
      fileExists(joinPath(joinPath(directory, "cifar-10-batches-bin"), "test_batch.bin"))
      ? joinPath(directory, "cifar-10-batches-bin") : directory
    let names = part == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    let paths = names.map { joinPath(dir, $0) }
    let pickle = joinPath(dir, String(names[0].dropLast(4))) // the same name without ".bin"
    if !fileExists(paths[0]), fileExists(pickle) {
      throw DataError.unsupported(
        path: pickle,
        reason: "this is the Python (pickle) release of CIFAR-10; dpq reads the binary release, cifar-10-binary.tar.gz")
    }
    var classes = classNames
    let meta = joinPath(dir, "batches.meta.txt")
    if fileExists(meta) {
      classes = try TextFiles.names(meta)
      guard classes.count == 10 else {
        throw DataError.badValue(path: meta, reason: "lists \(classes.count) class names; CIFAR-10 has 10")
      }
    }
    return try load(files: paths, classNames: classes, name: "CIFAR-10 \(part.rawValue)")
  }

  /// Both parts: train (50,000) and test (10,000).
  public static func loadAll(directory: String) throws -> (train: LabelledDataset, test: LabelledDataset) {
    (try load(.train, directory: directory), try load(.test, directory: directory))
  }

  /// Reads the given batch files in order into one dataset. Every file is checked to hold whole
  /// records before anything is allocated; labels must be below `classNames.count`.
  public static func load(
    files: [String], classNames: [String] = classNames,
    name: String = "CIFAR-10"
  ) throws -> LabelledDataset {
    guard !files.isEmpty else { throw DataError.invalidArgument(op: "CIFAR10.load", reason: "no batch files given") }
    let opened = try files.map { try DataFile(path: $0, hint: hint) }
    var counts: [Int] = []
    for file in opened {
      if file.isCompressed {
        throw DataError.unsupported(
          path: file.path, reason: "the batch file is gzip-compressed; extract the archive with tar xzf first")
      }
      let whole = file.fileSize / recordSize
      if file.fileSize % recordSize != 0 {
        throw DataError.truncated(
          path: file.path, expected: (whole + 1) * recordSize, actual: file.fileSize,
          detail: "\(whole + 1) records of \(recordSize) bytes", decompressed: false)
      }
      counts.append(whole)
    }
    let n = counts.reduce(0, +)
    try DataLimits.check(elements: n * 3072, path: files[0], what: "\(n) images of 3x32x32")
    var labels = [Int](repeating: 0, count: n)
    let features = try Tensor(shape: [n, 3, 32, 32]) { out in
      guard let base = out.baseAddress else { return }
      var item = 0
      for (file, count) in zip(opened, counts) {
        let detail = "\(count) records of \(recordSize) bytes"
        let first = item
        try file.readChunked(count * recordSize, detail: detail, chunkSize: 64 * recordSize) { piece, offset in
          var r = 0
          while r + recordSize <= piece.count {
            let index = first + (offset + r) / recordSize
            let label = Int(piece[r])
            guard label < classNames.count else {
              throw DataError.badValue(
                path: file.path,
                reason: "record \(index - first) has label \(label); labels must be below \(classNames.count)")
            }
            labels[index] = label
            let o = base + index * 3072
            for k in 0..<3072 { o[k] = Float(piece[r + 1 + k]) / 255 }
            r += recordSize
          }
        }
        try file.checkEnd(detail: detail)
        item += count
      }
    }
    return try LabelledDataset(name: name, features: features, labels: labels, classNames: classNames)
  }
}

/// dpq's allocation limits, checked before reading.
enum DataLimits {
  static func check(elements: Int, path: String, what: String) throws {
    guard elements <= Tensor.elementLimit else {
      throw DataError.tooLarge(path: path, reason: "\(what) exceed dpq's limit of \(Tensor.elementLimit) values")
    }
  }
}
