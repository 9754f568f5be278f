import DPQTensor
import Testing

@testable import DPQData

/// A dataset of `n` vectors of dimension 3 where item i holds [i, 10 i, 100 i] and label i % classes.
func rampDataset(_ n: Int, classes: Int = 3, multiLabel: Bool = false) throws -> LabelledDataset {
  let features = try Tensor(shape: [n, 3], scalars: (0..<n).flatMap { [Float($0), Float(10 * $0), Float(100 * $0)] })
  let hot =
    multiLabel
    ? try Tensor(
      shape: [n, classes],
      scalars: (0..<n).flatMap { i in
        (0..<classes).map { c in Float(c == i % classes || c == (i + 1) % classes ? 1 : 0) }
      }) : nil
  return try LabelledDataset(
    name: "ramp", features: features, labels: (0..<n).map { $0 % classes }, multiHot: hot,
    classNames: (0..<classes).map(String.init))
}

@Suite struct DatasetTests {
  @Test func validatesConstruction() throws {
    let x = try Tensor.zeros([3, 2])
    #expect(throws: DataError.self) { try LabelledDataset(features: x, labels: [0, 1]) }
    #expect(throws: DataError.self) { try LabelledDataset(features: Tensor([1, 2, 3]), labels: [0, 1, 2]) }
    #expect(throws: DataError.self) { try LabelledDataset(features: x, labels: [0, 1, 2], classNames: ["a", "b"]) }
    #expect(throws: DataError.self) { try LabelledDataset(features: x, labels: [0, -1, 1]) }
    let bad = try Tensor(shape: [3, 2], scalars: [1, 0, 0, 2, 1, 1])
    #expect(throws: DataError.self) { try LabelledDataset(features: x, labels: [0, 0, 1], multiHot: bad) }
    let d = try LabelledDataset(features: x, labels: [0, 2, 1])
    #expect(d.classNames == ["0", "1", "2"])
    #expect(d.classCounts() == [1, 1, 1])
  }

  @Test func subsetCopiesRowsInOrder() throws {
    let d = try rampDataset(6, multiLabel: true)
    let s = try d.subset([4, 1, 4])
    #expect(s.features.shape == [3, 3])
    #expect(s.features.scalars == [4, 40, 400, 1, 10, 100, 4, 40, 400])
    #expect(s.labels == [1, 1, 1])
    #expect(s.multiHot?.scalars == [0, 1, 1, 0, 1, 1, 0, 1, 1])
    #expect(throws: DataError.invalidArgument(op: "subset", reason: "index 6 is out of range for 6 items")) {
      try d.subset([0, 6])
    }
  }

  @Test func concatenationJoinsAndChecks() throws {
    let a = try rampDataset(2)
    let b = try rampDataset(3)
    let c = try a.concatenated(with: b)
    #expect(c.count == 5)
    #expect(c.labels == [0, 1, 0, 1, 2])
    #expect(c.features.scalars[6...] == [0, 0, 0, 1, 10, 100, 2, 20, 200])
    let other = try LabelledDataset(features: Tensor.zeros([1, 4]), labels: [0])
    #expect(throws: DataError.self) { try a.concatenated(with: other) }
    #expect(throws: DataError.self) { try a.concatenated(with: rampDataset(2, multiLabel: true)) }
  }

  @Test func channelStatisticsAndNormalisation() throws {
    // Two 2-channel images of 1x2 pixels: channel 0 holds 1,3,5,7; channel 1 holds 2,2,2,2.
    let x = try Tensor(shape: [2, 2, 1, 2], scalars: [1, 3, 2, 2, 5, 7, 2, 2])
    let d = try LabelledDataset(features: x, labels: [0, 1])
    let (mean, std) = d.channelStatistics()
    #expect(mean == [4, 2])
    #expect(abs(std[0] - Float(5).squareRoot()) < 1e-6) // population variance (9+1+1+9)/4 = 5
    #expect(std[1] == 0)
    let n = try d.normalised(mean: mean, std: [std[0], 1])
    let expected: [Float] = [-3, -1, 0, 0, 1, 3, 0, 0].enumerated().map { i, v in
      i % 4 < 2 ? v / Float(5).squareRoot() : v
    }
    for (a, b) in zip(n.features.scalars, expected) { #expect(abs(a - b) < 1e-6) }
    let (m2, s2) = n.channelStatistics()
    #expect(abs(m2[0]) < 1e-6 && abs(s2[0] - 1) < 1e-6)
    #expect(throws: DataError.self) { try d.normalised(mean: mean, std: std) } // std 0 refused
    #expect(throws: DataError.self) { try d.normalised(mean: [0, 0, 0], std: [1]) }
    // Vectors: every dimension is a channel.
    let v = try rampDataset(3)
    #expect(v.channelStatistics().mean == [1, 10, 100])
  }

  @Test func descriptionIsShort() throws {
    let d = try rampDataset(4)
    #expect(d.description == "ramp: 4 items of shape [3], 3 classes (0, 1, 2)")
    #expect(try rampDataset(4, multiLabel: true).description.contains("3 multi-label classes"))
  }
}

@Suite struct BatchTests {
  @Test(arguments: [1, 3, 7, 10, 64])
  func everyItemOnceAndFeaturesMatch(size: Int) throws {
    let d = try rampDataset(10)
    var seen: [Int] = []
    var batches = 0
    for batch in try d.batches(size: size, seed: 5) {
      batches += 1
      #expect(batch.count == min(size, 10 - seen.count))
      #expect(batch.features.shape == [batch.count, 3])
      for (j, i) in batch.indices.enumerated() {
        #expect(batch.features.scalars[3 * j..<3 * j + 3] == [Float(i), Float(10 * i), Float(100 * i)])
        #expect(batch.labels[j] == i % 3)
      }
      seen += batch.indices
    }
    #expect(seen.sorted() == Array(0..<10))
    #expect(batches == (10 + size - 1) / size)
    #expect(try d.batches(size: size).batchCount == batches)
  }

  @Test func dropLastSkipsThePartialBatch() throws {
    let d = try rampDataset(10)
    let sizes = try d.batches(size: 4, dropLast: true).map(\.count)
    #expect(sizes == [4, 4])
    #expect(try d.batches(size: 4, dropLast: true).batchCount == 2)
    #expect(try d.batches(size: 4).map(\.count) == [4, 4, 2])
    #expect(throws: DataError.self) { try d.batches(size: 0) }
  }

  @Test func orderIsSeededPerEpoch() throws {
    let d = try rampDataset(50)
    let a = try d.batches(size: 50, seed: 1).order
    #expect(a == (try d.batches(size: 50, seed: 1).order))
    #expect(a != (try d.batches(size: 50, seed: 2).order))
    #expect(a != (try d.batches(size: 50, seed: 1, epoch: 1).order))
    #expect(try d.batches(size: 50, shuffle: false).order == Array(0..<50))
  }

  @Test func keptBatchesAreNotOverwritten() throws {
    let d = try rampDataset(12, multiLabel: true)
    let kept = Array(try d.batches(size: 4, seed: 3))
    #expect(kept.count == 3)
    for batch in kept {
      for (j, i) in batch.indices.enumerated() {
        #expect(batch.features.scalars[3 * j] == Float(i))
        #expect(batch.multiHot?.scalars[3 * j + i % 3] == 1)
      }
    }
    // A released batch's buffer is reused for the next one (kept ones above were not).
    var iterator = try d.batches(size: 4, seed: 3)
    var addresses: [UnsafePointer<Float>?] = []
    while let batch = iterator.next() { addresses.append(batch.features.withUnsafeBufferPointer { $0.baseAddress }) }
    #expect(addresses.count == 3 && addresses[0] == addresses[1] && addresses[1] == addresses[2])
    let keptAddresses = kept.map { $0.features.withUnsafeBufferPointer { $0.baseAddress } }
    #expect(Set(keptAddresses).count == 3)
  }
}
