import DPQTensor
import Testing

@testable import DPQData

@Suite struct CSVTests {
  /// A headerless file whose first row holds `nan`, `inf` or `1e39` lost that row as a
  /// "header"; those are numbers, refused as not finite, naming the line.
  @Test(arguments: ["nan", "inf", "1e39", "-infinity"]) func aNonFiniteFirstRowIsNotTakenForAHeader(value: String)
    throws
  {
    let dir = try TemporaryDirectory()
    let path = try dir.write("t.csv", text: "\(value),2,0\n3,4,1\n")
    expectDataError(path, ["t.csv:1:", "not a finite number: '\(value)'"]) {
      _ = try CSV.load(path, labelColumn: .index(-1))
    }
  }

  @Test func readsHeaderAndNamedLabelColumn() throws {
    let dir = try TemporaryDirectory()
    let path = try dir.write(
      "iris.csv", text: "\u{FEFF}sepal,petal,species\r\n1.5,2,setosa\r\n\r\n3,-4e-1,virginica\r\n\"5\", 6 ,setosa\r\n")
    let d = try CSV.load(path, labelColumn: .name("species"))
    #expect(d.features.shape == [3, 2])
    #expect(d.features.scalars == [1.5, 2, 3, -0.4, 5, 6])
    #expect(d.classNames == ["setosa", "virginica"])
    #expect(d.labels == [0, 1, 0])
    #expect(d.name == "iris.csv")
  }

  @Test func readsHeaderlessFilesWithIntegerLabels() throws {
    let dir = try TemporaryDirectory()
    let path = try dir.write("digits.csv", text: "0.5;1;2\n0;0;0\n7;8;1\n")
    let d = try CSV.load(path, labelColumn: .index(-1), separator: ";")
    #expect(d.count == 3 && d.features.scalars == [0.5, 1, 0, 0, 7, 8])
    #expect(d.labels == [2, 0, 1] && d.classNames == ["0", "1", "2"])
    let named = try CSV.load(path, labelColumn: .index(2), separator: ";", classNames: ["a", "b", "c"])
    #expect(named.classNames == ["a", "b", "c"])
    // Quoted fields with separators and doubled quotes, label column first.
    let quoted = try dir.write("q.csv", text: "label,x\n\"a, \"\"b\"\"\",1\nc,2\n")
    let q = try CSV.load(quoted, labelColumn: .index(0))
    #expect(q.classNames == ["a, \"b\"", "c"] && q.labels == [0, 1] && q.features.scalars == [1, 2])
  }

  @Test func reportsBadRowsWithLineNumbers() throws {
    let dir = try TemporaryDirectory()
    let fields = try dir.write("fields.csv", text: "a,b,label\n1,2,0\n\n3,1\n")
    expectDataError(fields, ["fields.csv:4:", "expected 3 fields like line 1, found 2"]) {
      _ = try CSV.load(fields, labelColumn: .name("label"))
    }
    let number = try dir.write("number.csv", text: "a,b,label\n1,2,0\n1,x2,1\n")
    expectDataError(number, ["number.csv:3:", "field 2 ('b') is not a finite number: 'x2'"]) {
      _ = try CSV.load(number, labelColumn: .name("label"))
    }
    let nan = try dir.write("nan.csv", text: "1,nan,0\n")
    expectDataError(nan, ["nan.csv:1:", "not a finite number"]) {
      _ = try CSV.load(nan, labelColumn: .index(2), hasHeader: false)
    }
    let empty = try dir.write("emptyfield.csv", text: "1,,0\n")
    expectDataError(empty, ["emptyfield.csv:1:", "field 2 is empty"]) {
      _ = try CSV.load(empty, labelColumn: .index(-1))
    }
    let missing = try dir.write("cols.csv", text: "a,b\n1,2\n")
    expectDataError(missing, ["no column named 'label'", "a, b"]) {
      _ = try CSV.load(missing, labelColumn: .name("label"))
    }
    expectDataError(nil, ["label column 5 is outside the 2 columns"]) {
      _ = try CSV.load(missing, labelColumn: .index(5))
    }
    let quote = try dir.write("quote.csv", text: "1,\"2,0\n3,4,1\n")
    expectDataError(quote, ["quote.csv:1:", "quoted field is not closed"]) {
      _ = try CSV.load(quote, labelColumn: .index(-1))
    }
    let onlyHeader = try dir.write("header.csv", text: "a,label\n")
    expectDataError(onlyHeader, ["header but no data rows"]) {
      _ = try CSV.load(onlyHeader, labelColumn: .name("label"))
    }
    let blank = try dir.write("blank.csv", text: "\n\n")
    expectDataError(blank, ["empty"]) { _ = try CSV.load(blank, labelColumn: .index(0)) }
    let unknown = try dir.write("unknown.csv", text: "1,cat\n2,dog\n")
    expectDataError(unknown, ["unknown.csv:2:", "label 'dog' is not one of the class names"]) {
      _ = try CSV.load(unknown, labelColumn: .index(1), classNames: ["cat"])
    }
  }
}

@Suite struct CIFAR10Tests {
  /// Three records with labels 3, 0, 9; record r's channel c pixel p is (r + 7c + p) mod 256.
  func records(labels: [UInt8] = [3, 0, 9]) -> [UInt8] {
    var bytes: [UInt8] = []
    for (r, label) in labels.enumerated() {
      bytes.append(label)
      for k in 0..<3072 {
        let value: Int = (r + 7 * (k / 1024) + k % 1024) % 256
        bytes.append(UInt8(value))
      }
    }
    return bytes
  }

  @Test func readsSyntheticBatch() throws {
    let dir = try TemporaryDirectory()
    try dir.write("test_batch.bin", records())
    let d = try CIFAR10.load(.test, directory: dir.path)
    #expect(d.features.shape == [3, 3, 32, 32])
    #expect(d.labels == [3, 0, 9])
    #expect(d.classNames == CIFAR10.classNames)
    #expect(try d.features.value(at: [1, 2, 0, 5]) == Float((1 + 14 + 5) % 256) / 255) // record 1, blue, row 0, col 5
    #expect(try d.features.value(at: [2, 0, 31, 31]) == Float((2 + 1023) % 256) / 255) // last red pixel
    #expect(d.name == "CIFAR-10 test")
    // The directory that contains cifar-10-batches-bin works too, with names from batches.meta.txt.
    let nested = try TemporaryDirectory()
    try FileManagerBridge.createDirectory(nested.path + "/cifar-10-batches-bin")
    try nested.write("cifar-10-batches-bin/test_batch.bin", records())
    try nested.write(
      "cifar-10-batches-bin/batches.meta.txt", text: (0..<10).map { "c\($0)" }.joined(separator: "\n") + "\n\n")
    let n = try CIFAR10.load(.test, directory: nested.path)
    #expect(n.classNames.first == "c0" && n.count == 3)
    // Several files are read in order.
    let both = try CIFAR10.load(files: [dir.path + "/test_batch.bin", dir.path + "/test_batch.bin"])
    #expect(both.labels == [3, 0, 9, 3, 0, 9])
  }

  @Test func refusesCorruptBatches() throws {
    let dir = try TemporaryDirectory()
    let cut = try dir.write("cut.bin", Array(records().dropLast(100)))
    expectDataError(cut, ["truncated", "3 records of 3073 bytes (9219 bytes)", "has 9119 bytes"]) {
      _ = try CIFAR10.load(files: [cut])
    }
    let label = try dir.write("label.bin", records(labels: [1, 10, 2]))
    expectDataError(label, ["record 1 has label 10"]) { _ = try CIFAR10.load(files: [label]) }
    expectDataError("data_batch_1.bin", ["no such file", "cifar-10-binary.tar.gz"]) {
      _ = try CIFAR10.load(.train, directory: dir.path)
    }
    let python = try TemporaryDirectory()
    try python.write("data_batch_1", [0x80, 0x02])
    expectDataError("data_batch_1", ["Python (pickle) release", "binary release"]) {
      _ = try CIFAR10.load(.train, directory: python.path)
    }
    let meta = try TemporaryDirectory()
    try meta.write("test_batch.bin", records())
    try meta.write("batches.meta.txt", text: "a\nb\n")
    expectDataError("batches.meta.txt", ["lists 2 class names"]) { _ = try CIFAR10.load(.test, directory: meta.path) }
  }
}

@Suite struct MultiLabelTests {
  @Test func readsFeaturesAndImageList() throws {
    let dir = try TemporaryDirectory()
    try NPY.write(try Tensor(shape: [3, 2], scalars: [1, 2, 3, 4, 5, 6]), to: dir.path + "/f.npy")
    try dir.write("labels.txt", text: "img/a.jpg 0 1 1\nimg/b.jpg 0 0 0\r\nimg/c.jpg\t1 0 1\n")
    try dir.write("concepts.txt", text: "sky\nwater\nperson\n")
    let d = try MultiLabelDataset.load(
      features: dir.path + "/f.npy", labels: dir.path + "/labels.txt",
      classNames: dir.path + "/concepts.txt", name: "nus")
    #expect(d.isMultiLabel && d.count == 3)
    #expect(d.multiHot?.scalars == [0, 1, 1, 0, 0, 0, 1, 0, 1])
    #expect(d.labels == [1, -1, 0])
    #expect(d.classNames == ["sky", "water", "person"])
    #expect(d.description == "nus: 3 items of shape [2], 3 multi-label classes (sky, water, person)")
    let file = try MultiLabelDataset.readLabelFile(dir.path + "/labels.txt")
    #expect(file.itemNames == ["img/a.jpg", "img/b.jpg", "img/c.jpg"])
    // Labels without names, comma-separated, with .fvecs features.
    try Vecs.writeFvecs(try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]), to: dir.path + "/f.fvecs")
    try dir.write("plain.txt", text: "1,0\n1,1\n")
    let p = try MultiLabelDataset.load(features: dir.path + "/f.fvecs", labels: dir.path + "/plain.txt")
    #expect(p.labels == [0, 0] && p.classNames == ["0", "1"] && p.multiHot?.scalars == [1, 0, 1, 1])
    // Multi-label data batches its multi-hot rows too.
    var batches = try d.batches(size: 3, shuffle: false)
    let next = batches.next()
    let batch = try #require(next)
    #expect(batch.multiHot == d.multiHot)
  }

  @Test func refusesBadLabelFiles() throws {
    let dir = try TemporaryDirectory()
    try NPY.write(try Tensor.zeros([2, 2]), to: dir.path + "/f.npy")
    let value = try dir.write("value.txt", text: "0 1\n0 2\n")
    expectDataError(value, ["value.txt:2:", "label 2 is '2', expected 0 or 1"]) {
      _ = try MultiLabelDataset.readLabelFile(value)
    }
    let width = try dir.write("width.txt", text: "0 1\n0 1 1\n")
    expectDataError(width, ["width.txt:2:", "expected 2 labels like line 1, found 3"]) {
      _ = try MultiLabelDataset.readLabelFile(width)
    }
    let names = try dir.write("names.txt", text: "a.jpg 0 1\n0 1\n")
    expectDataError(names, ["names.txt:2:", "does not start with an item name"]) {
      _ = try MultiLabelDataset.readLabelFile(names)
    }
    let count = try dir.write("count.txt", text: "0 1\n1 0\n1 1\n")
    expectDataError("count.txt", ["f.npy has 2 rows of features", "3 label lines"]) {
      _ = try MultiLabelDataset.load(features: dir.path + "/f.npy", labels: count)
    }
    let two = try dir.write("two.txt", text: "0 1\n1 0\n")
    let concepts = try dir.write("concepts.txt", text: "a\nb\nc\n")
    expectDataError("concepts.txt", ["lists 3 class names", "2 labels per line"]) {
      _ = try MultiLabelDataset.load(features: dir.path + "/f.npy", labels: two, classNames: concepts)
    }
    expectDataError(nil, ["features must be a .npy, .fvecs or .bvecs file"]) {
      _ = try MultiLabelDataset.load(features: dir.path + "/f.jpg", labels: two)
    }
  }
}
