import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// CSV rows viewed as images, and splits from index files of any name and format.
@Suite struct ReshapeAndIndexFileTests {
  @Test func csvRowsBecomeImages() throws {
    let dir = try TemporaryDirectory()
    // Kaggle's Fashion-MNIST CSV layout: a label column, then pixel columns row by row.
    let header = "label," + (1...8).map { "pixel\($0)" }.joined(separator: ",")
    let path = try dir.write(
      "pixels.csv",
      text: header + "\n3," + (0..<8).map(String.init).joined(separator: ",") + "\n1,"
        + (8..<16).map(String.init).joined(separator: ",") + "\n")
    let table = try CSV.load(path, labelColumn: .name("label"))
    let images = try table.reshaped([2, 2, 2])
    #expect(images.itemShape == [2, 2, 2] && images.labels == [3, 1])
    #expect(try images.features.sliced([.index(1), .index(1), .index(0), .index(1)]).scalars == [13])
    #expect(try table.reshaped([-1, 4]).itemShape == [2, 4])
    #expect(throws: DataError.self) { try table.reshaped([3, 3]) }
    #expect(throws: DataError.self) { try table.reshaped([-1, -1]) }
  }

  @Test func splitsFromTextAndNpyIndexFilesOfAnyName() throws {
    let dir = try TemporaryDirectory()
    let source = try LabelledDataset(
      features: Tensor(shape: [6, 1], scalars: (0..<6).map(Float.init)), labels: [0, 1, 0, 1, 0, 1])
    try NPY.write(integers: [4, 5], to: dir.path + "/my queries.npy")
    let train = try dir.write("training ids.txt", text: "0\n2\n\n")
    let database = try dir.write("db.csv", text: "0, 1, 2,3\n")
    let split = try Splits.fromIndexFiles(source, train: train, query: dir.path + "/my queries.npy", database: database)
    #expect(split.trainIndices == [0, 2] && split.queryIndices == [4, 5] && split.databaseIndices == [0, 1, 2, 3])
    let bad = try dir.write("bad.txt", text: "1\n9\n")
    #expect(throws: DataError.badValue(path: bad, reason: "index 9 is out of range for data (6 items)")) {
      try Splits.fromIndexFiles(source, train: bad, query: train, database: train)
    }
    let words = try dir.write("words.txt", text: "1\ntwo\n")
    #expect(throws: DataError.badRecord(path: words, line: 2, reason: "'two' is not an integer index")) {
      try Splits.fromIndexFiles(source, train: words, query: train, database: train)
    }
  }
}
