import DPQTensor
import Foundation

/// A set of image files decoded on demand: a folder-per-class tree or a list file, a transform,
/// and a bounded cache of decoded (resized) images.
///
/// `batch(_:)` decodes only the images a mini-batch needs, so a folder of 100,000 images never
/// needs all its pixels in memory: what stays is the cache, at most `cacheLimit` bytes, which
/// `cachedBytes` reports. `dataset()` decodes everything, in batches, into one tensor when that
/// fits in `memoryLimit`.
public final class ImageSet {
  public let name: String
  public private(set) var entries: [ImageEntry]
  public let classNames: [String]
  public let isMultiLabel: Bool
  public let transform: ImageTransform
  /// Most bytes of decoded images kept between batches.
  public let cacheLimit: Int
  /// Bytes of decoded images held now.
  public private(set) var cachedBytes = 0
  /// The shape of one item, `[channels, height, width]`.
  public let itemShape: [Int]
  /// Seed for random crops and flips; each batch call draws from it.
  private var rng: RandomGenerator
  private var cache: [Int: (image: DecodedImage, lastUse: Int)] = [:]
  private var clock = 0
  var cacheCount: Int { cache.count }
  /// Files lazy batches left out (`batch(_:skipBroken: true)`), with the reason.
  public private(set) var skippedFiles: [String: String] = [:]

  /// Images decoded per call of the decoder (and per parallel pass) when loading a whole set.
  public static let decodeBatch = 256

  public init(
    name: String, entries: [ImageEntry], classNames: [String], multiLabel: Bool,
    transform: ImageTransform, cacheLimit: Int = 256 << 20, seed: UInt64 = 0,
    itemShape known: [Int]? = nil
  ) throws {
    try transform.validate()
    guard let first = entries.first else { throw DataError.invalidArgument(op: "ImageSet", reason: "no images") }
    self.name = name
    self.entries = entries
    self.classNames = classNames
    self.isMultiLabel = multiLabel
    self.transform = transform
    self.cacheLimit = Swift.max(0, cacheLimit)
    rng = RandomGenerator(seed: seed)
    if let known {
      itemShape = known
    } else if let s = transform.size {
      itemShape = transform.outputShape(height: s[0], width: s[1])
    } else {
      // Without a resize every image must have the first one's size; decode it to learn it.
      let image = try ImageCodec.decode(path: first.path, channels: transform.channels)
      itemShape = transform.outputShape(height: image.height, width: image.width)
    }
  }

  /// Images in a folder-per-class tree (see `ImageListing.folder`).
  public static func folder(
    _ dir: String, transform: ImageTransform, cacheLimit: Int = 256 << 20,
    seed: UInt64 = 0
  ) throws -> ImageSet {
    let (entries, names) = try ImageListing.folder(dir)
    let base = dir.split(separator: "/").last.map(String.init) ?? dir
    return try ImageSet(
      name: base, entries: entries, classNames: names, multiLabel: false, transform: transform,
      cacheLimit: cacheLimit, seed: seed)
  }

  /// Images named in a list file (see `ImageListing.list`).
  public static func list(
    _ file: String, root: String? = nil, transform: ImageTransform,
    cacheLimit: Int = 256 << 20, seed: UInt64 = 0
  ) throws -> ImageSet {
    let (entries, names, multi) = try ImageListing.list(file, root: root)
    let base = file.split(separator: "/").last.map(String.init) ?? file
    return try ImageSet(
      name: base, entries: entries, classNames: names, multiLabel: multi, transform: transform,
      cacheLimit: cacheLimit, seed: seed)
  }

  public var count: Int { entries.count }
  public var labels: [Int] { entries.map(\.label) }
  /// Floats per item.
  public var itemSize: Int { itemShape.reduce(1, *) }

  /// The images at `indices` as `[b, c, h, w]`, decoded (or taken from the cache) and
  /// transformed; random crops and flips are fresh on every call. A file that cannot be
  /// decoded throws with its name.
  public func batch(_ indices: [Int]) throws -> Tensor {
    try batch(indices, skipBroken: false).features
  }

  /// `batch(_:)`, optionally leaving out files that cannot be decoded: `kept` lists the
  /// positions whose images are in `features`, and `skippedFiles` remembers each left-out file.
  public func batch(_ indices: [Int], skipBroken: Bool) throws -> (features: Tensor, kept: [Int]) {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError.invalidArgument(op: "batch", reason: "index \(bad) is out of range for \(count) images")
    }
    let seeds = indices.map { _ in rng.next() }
    let results = decodeResized(indices)
    var good: [(index: Int, image: DecodedImage, seed: UInt64)] = []
    for (k, i) in indices.enumerated() {
      do {
        let image = try results[k].get()
        try check(image, path: entries[i].path)
        good.append((i, image, seeds[k]))
      } catch {
        guard skipBroken else { throw error }
        skippedFiles[entries[i].path] = "\(error)"
      }
    }
    clock += 1
    for g in good where cacheLimit > 0 && cache[g.index] == nil {
      cache[g.index] = (g.image, clock)
      cachedBytes += g.image.pixels.count * MemoryLayout<Float>.stride
    }
    for g in good { cache[g.index]?.lastUse = clock }
    evict()
    let size = itemSize
    var failure: Error?
    let out = Tensor(shape: [good.count] + itemShape) { buffer in
      guard let base = buffer.baseAddress else { return }
      for (k, g) in good.enumerated() {
        do {
          var r = RandomGenerator(seed: g.seed)
          try transform.finish(g.image, into: base + k * size, rng: &r, path: entries[g.index].path)
        } catch { failure = failure ?? error }
      }
    }
    if let failure { throw failure }
    return (out, good.map(\.index))
  }

  /// The multi-hot rows `[b, L]` of `indices` (multi-label sets only).
  public func multiHot(_ indices: [Int]) -> Tensor? {
    guard isMultiLabel else { return nil }
    let width = classNames.count
    return Tensor(shape: [indices.count, width]) { out in
      for (k, i) in indices.enumerated() { for j in 0..<width { out[k * width + j] = entries[i].multiHot?[j] ?? 0 } }
    }
  }

  /// Every image decoded into one dataset, `decodeBatch` images at a time (decoding in parallel).
  /// With `skipBroken`, images that cannot be decoded are left out and returned with the reason;
  /// without it the first such image stops the load with its file name.
  /// - Parameter memoryLimit: largest tensor built, in bytes; a bigger set is refused with a
  ///   pointer to `batch(_:)`.
  public func dataset(skipBroken: Bool = false, memoryLimit: Int = 4 << 30) throws
    -> (dataset: LabelledDataset, skipped: [(path: String, reason: String)])
  {
    let size = itemSize
    let bytes = count * size * MemoryLayout<Float>.stride
    guard bytes <= memoryLimit else {
      throw DataError.tooLarge(
        path: name,
        reason:
          "\(count) images of shape \(shapeString(itemShape)) need \(bytes >> 20) MiB, over the limit of \(memoryLimit >> 20) MiB; decode them batch by batch instead (load_images(..., lazy: true))"
      )
    }
    var skipped: [(String, String)] = []
    var kept: [Int] = []
    var failure: Error?
    var draw = rng
    let all = Tensor(shape: [count] + itemShape) { buffer in
      guard let base = buffer.baseAddress else { return }
      var start = 0
      while start < count, failure == nil {
        let ids = Array(start..<Swift.min(count, start + ImageSet.decodeBatch))
        let results = decodeEach(ids)
        for (k, i) in ids.enumerated() {
          let path = entries[i].path
          do {
            let image = try results[k].get()
            try check(image, path: path)
            var g = RandomGenerator(seed: draw.next())
            try transform.finish(image, into: base + kept.count * size, rng: &g, path: path)
            kept.append(i)
          } catch {
            if skipBroken {
              skipped.append((path, "\(error)"))
            } else {
              failure = error
              break
            }
          }
        }
        start += ImageSet.decodeBatch
      }
    }
    if let failure { throw failure }
    rng = draw
    guard !kept.isEmpty else {
      throw DataError.badValue(
        path: name, reason: "none of the \(count) images could be decoded (first: \(skipped.first?.1 ?? ""))")
    }
    // Skipped images leave the tail of `all` unused; cut it off (one copy, only when skipping).
    let features = kept.count == count ? all : try all.slice(axis: 0, range: 0..<kept.count)
    let hot = multiHot(kept)
    let data = try LabelledDataset(
      name: name, features: features, labels: kept.map { entries[$0].label },
      multiHot: hot, classNames: classNames)
    return (data, skipped)
  }

  /// Decoded, resized images (or why not) for `indices`, from the cache where possible.
  private func decodeResized(_ indices: [Int]) -> [Result<DecodedImage, Error>] {
    let missing = Array(Set(indices.filter { cache[$0] == nil }))
    let fresh = decodeEach(missing)
    var decoded: [Int: Result<DecodedImage, Error>] = [:]
    for (k, i) in missing.enumerated() { decoded[i] = fresh[k] }
    return indices.map { i in cache[i].map { .success($0.image) } ?? decoded[i]! }
  }

  /// Decodes and resizes each file, in parallel over the machine's cores.
  private func decodeEach(_ indices: [Int]) -> [Result<DecodedImage, Error>] {
    var results = [Result<DecodedImage, Error>](
      repeating: .failure(DataError.inconsistent(reason: "not decoded")), count: indices.count)
    let (paths, transform) = (indices.map { entries[$0].path }, transform)
    results.withUnsafeMutableBufferPointer { out in
      let slots = out
      Parallel.forEachPiece(indices.count) { k in
        slots[k] = Result { transform.resized(try ImageCodec.decode(path: paths[k], channels: transform.channels)) }
      }
    }
    return results
  }

  /// Without a resize, an image of another size than the first cannot join the batch, nor
  /// one smaller than the crop.
  private func check(_ image: DecodedImage, path: String) throws {
    if let c = transform.crop, image.height < c[0] || image.width < c[1] {
      throw DataError.badValue(
        path: path,
        reason:
          "the image is \(image.height)x\(image.width), smaller than the crop \(c[0])x\(c[1]); give size: to resize first"
      )
    }
    let shape = transform.outputShape(height: image.height, width: image.width)
    guard shape == itemShape else {
      throw DataError.badValue(
        path: path,
        reason:
          "the image is \(image.height)x\(image.width) but the set's items are \(shapeString(itemShape)); give size: [h, w] to resize all images to one size"
      )
    }
  }

  /// Drops the least recently used images until the cache is within its limit.
  private func evict() {
    guard cachedBytes > cacheLimit else { return }
    for (i, entry) in cache.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
      guard cachedBytes > cacheLimit else { break }
      cache[i] = nil
      cachedBytes -= entry.image.pixels.count * MemoryLayout<Float>.stride
    }
  }
}

extension ImageSet {
  /// Images held in the cache now.
  public var cachedCount: Int { cacheCount }

  /// The images at `indices` as a set of their own (same transform, its own cache).
  public func subset(_ indices: [Int]) throws -> ImageSet {
    if let bad = indices.first(where: { $0 < 0 || $0 >= count }) {
      throw DataError.invalidArgument(op: "subset", reason: "index \(bad) is out of range for \(count) images")
    }
    guard !indices.isEmpty else { throw DataError.invalidArgument(op: "subset", reason: "no images selected") }
    return try ImageSet(
      name: name, entries: indices.map { entries[$0] }, classNames: classNames, multiLabel: isMultiLabel,
      transform: transform, cacheLimit: cacheLimit, seed: 0, itemShape: itemShape)
  }
}
