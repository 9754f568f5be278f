import DPQTensor

/// Which half of a dataset with a fixed train/test division to load.
public enum DatasetPart: String, CaseIterable {
  case train, test
}

/// Fashion-MNIST (Zalando): 70,000 grey 28x28 images of clothing in 10 classes, as the four IDX
/// files of the original release (`train-images-idx3-ubyte.gz`, ...; gzip or plain).
public enum FashionMNIST {
  /// Where Debian's `dataset-fashion-mnist` package installs the files.
  public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"
  public static let classNames = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
  ]
  static let hint = "install the Debian package dataset-fashion-mnist, or pass the directory holding the IDX files"

  /// The 60,000 training or 10,000 test images as `[n, 1, 28, 28]` in [0, 1], with labels.
  public static func load(_ part: DatasetPart, directory: String = defaultDirectory) throws -> LabelledDataset {
    try MNISTFormat.load(part, directory: directory, name: "Fashion-MNIST", classNames: classNames, hint: hint)
  }

  /// Both parts: train (60,000) and test (10,000).
  public static func loadAll(directory: String = defaultDirectory) throws -> (
    train: LabelledDataset, test: LabelledDataset
  ) {
    (try load(.train, directory: directory), try load(.test, directory: directory))
  }
}

/// MNIST handwritten digits, in the same four-file IDX layout and file names as Fashion-MNIST.
public enum MNIST {
  public static let defaultDirectory = "/usr/share/datasets/mnist"
  public static let classNames = (0..<10).map(String.init)
  static let hint = "download the four IDX files from the MNIST site and pass their directory"

  /// The 60,000 training or 10,000 test digits as `[n, 1, 28, 28]` in [0, 1], with labels.
  public static func load(_ part: DatasetPart, directory: String = defaultDirectory) throws -> LabelledDataset {
    try MNISTFormat.load(part, directory: directory, name: "MNIST", classNames: classNames, hint: hint)
  }

  /// Both parts: train (60,000) and test (10,000).
  public static func loadAll(directory: String = defaultDirectory) throws -> (
    train: LabelledDataset, test: LabelledDataset
  ) {
    (try load(.train, directory: directory), try load(.test, directory: directory))
  }
}

/// The loader shared by MNIST-layout datasets: `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`.
enum MNISTFormat {
  /// The path of one file: the gzip name if it exists, else the plain name, else the gzip name
  /// (so the "no such file" message names what the usual release ships).
  static func path(directory: String, stem: String) -> String {
    let base = joinPath(directory, stem)
    if fileExists(base + ".gz") { return base + ".gz" }
    if fileExists(base) { return base }
    return base + ".gz"
  }

  static func load(
    _ part: DatasetPart, directory: String, name: String, classNames: [String],
    hint: String
  ) throws -> LabelledDataset {
    let prefix = part == .train ? "train" : "t10k"
    let imagesPath = path(directory: directory, stem: "\(prefix)-images-idx3-ubyte")
    let labelsPath = path(directory: directory, stem: "\(prefix)-labels-idx1-ubyte")
    let labelFile = try IDXFile.read(labelsPath, expectedRank: 1, hint: hint)
    // Pixels go from the decompressor straight to Float, in cache-sized pieces.
    let (dimensions, features) = try IDXFile.readScaled(imagesPath, expectedRank: 3, hint: hint, divisor: 255) {
      [$0[0], 1, $0[1], $0[2]]
    }
    let n = dimensions[0]
    guard labelFile.dimensions[0] == n else {
      throw DataError.inconsistent(
        reason: "\(imagesPath) has \(n) images but \(labelsPath) has \(labelFile.dimensions[0]) labels")
    }
    var labels = [Int](repeating: 0, count: n)
    for (i, l) in labelFile.bytes.enumerated() {
      guard Int(l) < classNames.count else {
        throw DataError.badValue(path: labelsPath, reason: "label \(l) of item \(i) is not below \(classNames.count)")
      }
      labels[i] = Int(l)
    }
    return LabelledDataset(
      unchecked: "\(name) \(part.rawValue)", features: features, labels: labels,
      multiHot: nil, classNames: classNames)
  }
}
