import DPQData
import DPQTensor
import Foundation
import Testing

@testable import DPQQuantization

/// DPQTrainer on an `ImageSet` (images decoded per batch, a bounded cache) instead of a tensor:
/// a folder of 40 PNG files trains with a cache of 10 images' pixels, never holds more than that
/// between batches, and ends with exactly the parameters training on the same images decoded
/// into one tensor gives (no random transform, so both see the same pixels in the same order).
@Suite struct LazyImageTrainingTests {
  /// 40 grey 28x28 images in two class folders: dark noise and bright noise.
  func writeFolder() throws -> String {
    let dir = NSTemporaryDirectory() + "dpq-lazy-train-\(UUID().uuidString)"
    var g = RandomGenerator(seed: 5)
    for (c, name) in ["dark", "light"].enumerated() {
      try FileManager.default.createDirectory(atPath: "\(dir)/\(name)", withIntermediateDirectories: true)
      for i in 0..<20 {
        let pixels = (0..<(28 * 28)).map { _ in Float(c) * 0.5 + Float(g.nextUniform()) * 0.5 }
        try pixels.withUnsafeBufferPointer {
          try ImageCodec.writePNG($0, channels: 1, height: 28, width: 28, to: "\(dir)/\(name)/\(i).png")
        }
      }
    }
    return dir
  }

  func trainer(seed: UInt64) throws -> DPQTrainer {
    var c = DPQConfiguration()
    c.classCount = 2
    c.featureDimension = 16
    c.blockCount = 2
    c.codewordCount = 8
    var o = DPQTrainingOptions()
    o.epochs = 2
    o.batchSize = 8
    o.mode = .endToEnd
    o.warmupEpochs = 1
    o.codebookInitialisation = .kmeans // the k-means start reads every image's features too
    o.seed = seed
    return try DPQTrainer(model: try DPQModel(c, seed: seed), options: o)
  }

  @Test func trainsFromAnImageSetWithinItsCacheAsFromATensor() throws {
    let dir = try writeFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let imageBytes = 28 * 28 * MemoryLayout<Float>.stride
    let set = try ImageSet.folder(dir, transform: ImageTransform(channels: 1), cacheLimit: 10 * imageBytes)
    #expect(set.count == 40)
    let lazy = try trainer(seed: 3)
    var steps = 0
    try lazy.fit(
      inputs: set, labels: set.labels,
      onBatch: { _, _ in
        steps += 1
        #expect(
          set.cachedBytes <= set.cacheLimit,
          "the cache holds \(set.cachedBytes) bytes, over its limit \(set.cacheLimit)")
      })
    #expect(steps == 10 && lazy.log.count == 2 && lazy.log.last?.stage == 2)
    #expect(set.cachedCount <= 10 && set.cachedCount > 0, "\(set.cachedCount) images cached")
    print(
      "lazy training: \(steps) steps, \(set.cachedCount) of \(set.count) images cached (\(set.cachedBytes) of \(set.cacheLimit) bytes)"
    )

    // The same images decoded into one tensor, the same seeds: the same model, bit for bit.
    let all = try ImageSet.folder(dir, transform: ImageTransform(channels: 1)).dataset().dataset
    let eager = try trainer(seed: 3)
    try eager.fit(inputs: all.features, labels: all.labels)
    let (a, b) = (lazy.model.stateDict(), eager.model.stateDict())
    #expect(a.map(\.0) == b.map(\.0))
    for ((name, x), (_, y)) in zip(a, b) { #expect(x.scalars == y.scalars, "\(name) differs") }
    #expect(lazy.log.map(\.totalLoss) == eager.log.map(\.totalLoss))
  }

  @Test func aBrokenFileStopsLazyTrainingWithItsName() throws {
    let dir = try writeFolder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "not a png".write(toFile: "\(dir)/light/broken.png", atomically: true, encoding: .utf8)
    let set = try ImageSet.folder(dir, transform: ImageTransform(channels: 1), cacheLimit: 0)
    let t = try trainer(seed: 1)
    #expect { try t.fit(inputs: set, labels: set.labels) } throws: { "\($0)".contains("broken.png") }
  }
}
