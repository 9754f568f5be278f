import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// Folder-per-class trees and list files as torchvision's ImageFolder sees them.
@Suite struct ImageFolderTests {
  /// A tree with nested folders, spaces, upper-case extensions, an empty class, grey JPEG,
  /// alpha and 16-bit PNG files, and one corrupt file; prints torchvision-style ordering.
  static let makeTree = """
    import os, sys, numpy as np
    from PIL import Image
    d = sys.argv[1]; g = np.random.default_rng(3)
    def img(shape): return g.integers(0, 256, shape, dtype=np.uint8)
    files = {
      'shirt/b.png': Image.fromarray(img((6, 5, 3))),
      'shirt/A.PNG': Image.fromarray(img((6, 5, 3))),
      'shirt/sub dir/deeper/c.JPG': Image.fromarray(img((6, 5))),
      'bag with space/one image.jpeg': Image.fromarray(img((6, 5, 3))),
      'bag with space/alpha.png': Image.fromarray(img((6, 5, 4))),
      'bag with space/deep16.png': Image.fromarray(g.integers(0, 65536, (6, 5), dtype=np.uint16)),
    }
    for name, im in files.items():
      os.makedirs(os.path.dirname(d + '/' + name), exist_ok=True)
      im.save(d + '/' + name)
    os.makedirs(d + '/empty')
    os.makedirs(d + '/coat')
    open(d + '/coat/broken.png', 'wb').write(open(d + '/shirt/b.png', 'rb').read()[:40])
    open(d + '/coat/notes.txt', 'w').write('not an image')
    open(d + '/loose.png', 'wb').write(open(d + '/shirt/b.png', 'rb').read())
    """

  func tree() throws -> TemporaryDirectory {
    let py = try ProjectPython.require(["PIL", "numpy"])
    let dir = try TemporaryDirectory()
    try ProjectPython.script(py, Self.makeTree, [dir.path])
    return dir
  }

  @Test func listsClassesAndFilesInTorchvisionOrder() throws {
    let dir = try tree()
    let (entries, classes) = try ImageListing.folder(dir.path)
    #expect(classes == ["bag with space", "coat", "empty", "shirt"])
    let relative = entries.map { String($0.path.dropFirst(dir.path.count + 1)) }
    #expect(
      relative == [
        "bag with space/alpha.png", "bag with space/deep16.png", "bag with space/one image.jpeg",
        "coat/broken.png", "shirt/A.PNG", "shirt/b.png", "shirt/sub dir/deeper/c.JPG",
      ])
    #expect(entries.map(\.label) == [0, 0, 0, 1, 3, 3, 3])
  }

  @Test func aCorruptFileIsRefusedByNameOrSkippedAndCounted() throws {
    let dir = try tree()
    var t = ImageTransform(channels: 3)
    t.size = [8, 8]
    let set = try ImageSet.folder(dir.path, transform: t)
    do {
      _ = try set.dataset()
      Issue.record("a corrupt file was accepted")
    } catch {
      #expect("\(error)".contains("coat/broken.png"), "\(error)")
    }
    let (data, skipped) = try set.dataset(skipBroken: true)
    #expect(skipped.count == 1 && skipped[0].path.hasSuffix("coat/broken.png"))
    #expect(data.count == 6 && data.itemShape == [3, 8, 8])
    #expect(data.classNames == ["bag with space", "coat", "empty", "shirt"])
    #expect(data.classCounts() == [3, 0, 0, 3])
  }

  @Test func greyLoadingAndNormalisation() throws {
    let dir = try tree()
    try FileManager.default.removeItem(atPath: dir.path + "/coat/broken.png")
    var t = ImageTransform(channels: 1)
    t.mean = [0.5]
    t.std = [0.25]
    let set = try ImageSet.folder(dir.path, transform: t)
    let (data, _) = try set.dataset()
    #expect(data.itemShape == [1, 6, 5])
    // The 16-bit file, item 1, against its own decoding normalised by hand.
    let raw = try ImageCodec.decode(path: set.entries[1].path, channels: 1)
    let item = try data.features.slice(axis: 0, range: 1..<2).scalars
    #expect(zip(item, raw.pixels).allSatisfy { abs($0 - ($1 - 0.5) / 0.25) < 1e-5 })
  }

  @Test func centreAndRandomCropsAndFlips() throws {
    let image = DecodedImage(width: 4, height: 3, channels: 1, pixels: (0..<12).map(Float.init))
    var t = ImageTransform(channels: 1)
    t.crop = [1, 2]
    var g = RandomGenerator(seed: 1)
    var out = [Float](repeating: 0, count: 2)
    try out.withUnsafeMutableBufferPointer { try t.finish(image, into: $0.baseAddress!, rng: &g, path: "x") }
    #expect(out == [5, 6]) // row 1, columns 1...2
    t.randomCrop = true
    t.horizontalFlip = true
    var seen = Set<[Float]>()
    for seed in 0..<200 {
      var g = RandomGenerator(seed: UInt64(seed))
      try out.withUnsafeMutableBufferPointer { try t.finish(image, into: $0.baseAddress!, rng: &g, path: "x") }
      #expect(
        abs(out[0] - out[1]) == 1 && Int(out[0]) / 4 == Int(out[1]) / 4, "\(out) is not two neighbours of one row")
      seen.insert(out)
    }
    #expect(seen.count == 18) // 3 rows x 3 offsets x 2 flips
  }

  @Test func listFilesWithSpacesAndMultiHotLabels() throws {
    let dir = try tree()
    try FileManager.default.createDirectory(atPath: dir.path + "/lists", withIntermediateDirectories: true)
    let single = try dir.write("lists/single.txt", text: "shirt/b.png 2\n\nbag with space/one image.jpeg 0\n")
    let (entries, classes, multi) = try ImageListing.list(single, root: dir.path)
    #expect(!multi && classes == ["0", "1", "2"])
    #expect(entries.map(\.label) == [2, 0] && entries[1].path == dir.path + "/bag with space/one image.jpeg")
    let hot = try dir.write("hot.txt", text: "shirt/b.png 0 1 1\nshirt/A.PNG\t0 0 0\n")
    var t = ImageTransform(channels: 3)
    t.size = [4, 4]
    let (data, _) = try ImageSet.list(hot, transform: t).dataset()
    #expect(data.isMultiLabel && data.labels == [1, -1])
    #expect(data.multiHot?.scalars == [0, 1, 1, 0, 0, 0])
    let bad = try dir.write("bad.txt", text: "shirt/b.png 0 1 2\nshirt/A.PNG 1 0 0\n")
    #expect(throws: DataError.self) { try ImageListing.list(bad) }
  }

  @Test func lazyBatchesKeepTheCacheWithinItsLimit() throws {
    let dir = try tree()
    try FileManager.default.removeItem(atPath: dir.path + "/coat/broken.png")
    var t = ImageTransform(channels: 3)
    t.size = [16, 16]
    let imageBytes = 3 * 16 * 16 * 4
    let set = try ImageSet.folder(dir.path, transform: t, cacheLimit: 2 * imageBytes)
    let all = try set.dataset().dataset
    for ids in [[0, 1], [2, 3, 4], [5, 0]] {
      let batch = try set.batch(ids)
      #expect(batch.scalars == gatherRows(all.features, ids).scalars)
      #expect(set.cachedBytes <= 2 * imageBytes)
    }
    #expect(set.cachedCount == 2)
  }
}
