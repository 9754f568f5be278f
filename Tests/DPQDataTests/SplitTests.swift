import DPQTensor
import Testing

@testable import DPQData

/// Fashion-MNIST loaded once for all split tests (nil when the package is not installed).
let fashionMNIST: (train: LabelledDataset, test: LabelledDataset)? = try? FashionMNIST.loadAll()

@Suite(.serialized) struct SplitTests {
  func requireFashionMNIST() throws -> (train: LabelledDataset, test: LabelledDataset) {
    try #require(fashionMNIST, "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)")
  }

  /// Per-class counts of `indices` in `source`.
  func classCounts(_ indices: [Int], _ source: LabelledDataset) -> [Int] {
    var counts = [Int](repeating: 0, count: source.classCount)
    for i in indices { counts[source.labels[i]] += 1 }
    return counts
  }

  @Test func fm5kFollowsTheProtocol() throws {
    let (train, test) = try requireFashionMNIST()
    let split = try Splits.fashionMNIST5k(train: train, test: test, seed: 7)
    #expect(split.source.count == 70_000)
    #expect(split.trainIndices.count == 5000)
    #expect(split.queryIndices.count == 1000)
    #expect(split.databaseIndices.count == 69_000)
    #expect(classCounts(split.trainIndices, split.source) == [Int](repeating: 500, count: 10))
    #expect(classCounts(split.queryIndices, split.source) == [Int](repeating: 100, count: 10))
    #expect(split.queryIndices.allSatisfy { $0 >= 60_000 }) // queries come from the test images
    #expect(split.trainIndices.allSatisfy { $0 < 60_000 }) // training from the training images
    let database = Set(split.databaseIndices)
    #expect(database.count == 69_000) // no duplicates
    #expect(split.queryIndices.allSatisfy { !database.contains($0) }) // queries not in the database
    #expect(split.trainIndices.allSatisfy { database.contains($0) }) // training images are in it
    #expect(database.union(split.queryIndices).count == 70_000) // together: everything
    #expect(Set(split.trainIndices).count == 5000 && Set(split.queryIndices).count == 1000)
    #expect(
      split.description
        == "FM-5k (seed 7): train 5000, query 1000, database 69000 of Fashion-MNIST train + Fashion-MNIST test (70000 items)"
    )

    // Materialised parts hold the source rows.
    let query = split.query
    #expect(query.count == 1000 && query.features.shape == [1000, 1, 28, 28])
    let q0 = split.queryIndices[0] - 60_000
    let row = Array(query.features.scalars[0..<784])
    let expected = Array(test.features.scalars[q0 * 784..<(q0 + 1) * 784])
    #expect(row == expected)
    #expect(query.labels[0] == test.labels[q0])
  }

  @Test func fmSplitsAreDeterministicAndSeeded() throws {
    let (train, test) = try requireFashionMNIST()
    let a = try Splits.fashionMNIST5k(train: train, test: test, seed: 7)
    let b = try Splits.fashionMNIST5k(train: train, test: test, seed: 7)
    let c = try Splits.fashionMNIST5k(train: train, test: test, seed: 8)
    #expect(
      a.trainIndices == b.trainIndices && a.queryIndices == b.queryIndices && a.databaseIndices == b.databaseIndices)
    #expect(a.trainIndices != c.trainIndices)
    #expect(a.queryIndices != c.queryIndices)
    // Pinned values: the generator is defined bit for bit, so FM-5k with seed 7 is the same split
    // on every machine; a change here changes every published dpq result.
    #expect(Array(a.queryIndices.prefix(4)) == [60010, 60031, 60042, 60043])
    #expect(Array(a.trainIndices.prefix(4)) == [0, 7, 10, 17])
    #expect(a.queryIndices.reduce(0, +) == 65_039_797)
    #expect(a.trainIndices.reduce(0, +) == 150_000_756)
    let full = try Splits.fashionMNISTFull(train: train, test: test, seed: 7)
    #expect(full.trainIndices == Array(0..<60_000))
    #expect(full.queryIndices == a.queryIndices)
    #expect(full.databaseIndices == a.databaseIndices)
  }

  @Test func smallVariantForFastRuns() throws {
    let (train, test) = try requireFashionMNIST()
    let s = try Splits.fashionMNISTSmall(
      train: train, test: test, trainPerClass: 20, queryPerClass: 5,
      databaseSize: 600, seed: 3)
    #expect(s.trainIndices.count == 200 && s.queryIndices.count == 50 && s.databaseIndices.count == 600)
    let database = Set(s.databaseIndices)
    #expect(s.trainIndices.allSatisfy { database.contains($0) })
    #expect(s.queryIndices.allSatisfy { !database.contains($0) })
    #expect(classCounts(s.queryIndices, s.source) == [Int](repeating: 5, count: 10))
    #expect(throws: DataError.self) {
      try Splits.fashionMNISTSmall(
        train: train, test: test, trainPerClass: 20, queryPerClass: 5, databaseSize: 100, seed: 3)
    }
  }

  @Test func perClassOnOneDataset() throws {
    // 4 classes x 30 items, the CIFAR-10 recipe in miniature.
    let features = try Tensor(shape: [120, 2], scalars: (0..<240).map(Float.init))
    let data = try LabelledDataset(features: features, labels: (0..<120).map { $0 % 4 })
    let split = try Splits.perClass(data, train: 5, query: 3, seed: 1)
    #expect(split.trainIndices.count == 20 && split.queryIndices.count == 12 && split.databaseIndices.count == 88)
    let all = split.trainIndices + split.queryIndices + split.databaseIndices
    #expect(Set(all).count == 120) // disjoint and complete
    #expect(classCounts(split.trainIndices, data) == [5, 5, 5, 5])
    let inside = try Splits.perClass(data, train: 5, query: 3, seed: 1, trainInDatabase: true)
    #expect(inside.databaseIndices.count == 108)
    #expect(inside.queryIndices == split.queryIndices)
    let capped = try Splits.perClass(data, train: 5, query: 3, seed: 1, databaseLimit: 40)
    #expect(capped.databaseIndices.count == 40 && Set(capped.databaseIndices).isDisjoint(with: capped.trainIndices))
    let error = expectDataError(nil, ["class 0 ('0') has 27 available items", "30"]) {
      _ = try Splits.perClass(data, train: 30, query: 3, seed: 1)
    }
    #expect(error != nil)
    let random = try Splits.random(data, train: 10, query: 7, seed: 2)
    #expect(random.trainIndices.count == 10 && random.queryIndices.count == 7 && random.databaseIndices.count == 103)
    #expect(Set(random.trainIndices + random.queryIndices + random.databaseIndices).count == 120)
    #expect(try Splits.random(data, train: 10, query: 7, seed: 3).queryIndices != random.queryIndices)
  }

  @Test func indexFilesRoundTrip() throws {
    let dir = try TemporaryDirectory()
    let data = try LabelledDataset(features: Tensor.zeros([50, 3]), labels: (0..<50).map { $0 % 5 })
    let split = try Splits.perClass(data, train: 2, query: 1, seed: 9)
    try split.save(directory: dir.path)
    let again = try Splits.fromIndexFiles(
      data, train: dir.path + "/train.npy", query: dir.path + "/query.npy",
      database: dir.path + "/database.npy")
    #expect(again.trainIndices == split.trainIndices)
    #expect(again.queryIndices == split.queryIndices)
    #expect(again.databaseIndices == split.databaseIndices)
    try NPY.write(integers: [1, 2, 50], to: dir.path + "/bad.npy")
    expectDataError(dir.path + "/bad.npy", ["index 50 is out of range", "50 items"]) {
      _ = try Splits.fromIndexFiles(
        data, train: dir.path + "/bad.npy", query: dir.path + "/query.npy",
        database: dir.path + "/database.npy")
    }
    try NPY.write(Tensor([1, 2]), to: dir.path + "/floats.npy")
    expectDataError(dir.path + "/floats.npy", ["'<f4'", "integers"]) {
      _ = try Splits.fromIndexFiles(
        data, train: dir.path + "/floats.npy", query: dir.path + "/query.npy",
        database: dir.path + "/database.npy")
    }
  }
}
