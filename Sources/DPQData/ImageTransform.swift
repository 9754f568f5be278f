import DPQTensor

/// What happens to each decoded image before it becomes a dataset item, in torchvision's order:
/// resize, crop, flip, normalise. Every image of a set must come out the same shape, so either
/// `size` is given or all images already have one size.
public struct ImageTransform: Equatable {
  /// 1 (grey) or 3 (RGB).
  public var channels: Int = 3
  /// Bilinear resize to [height, width] first; nil keeps the decoded size.
  public var size: [Int]? = nil
  /// Crop to [height, width] after resizing; nil for no crop.
  public var crop: [Int]? = nil
  /// Crop at a random place (seeded) rather than in the centre.
  public var randomCrop = false
  /// Mirror left-right with probability 1/2 (seeded).
  public var horizontalFlip = false
  /// Per-channel mean and standard deviation: x -> (x - mean) / std; nil keeps [0, 1].
  public var mean: [Float]? = nil
  public var std: [Float]? = nil

  public init(channels: Int = 3) { self.channels = channels }

  /// Whether the transform draws random numbers (its output differs between draws).
  public var isRandom: Bool { randomCrop || horizontalFlip }

  /// Checks the settings once, so per-image work cannot fail on them.
  public func validate() throws {
    let op = "ImageTransform"
    guard channels == 1 || channels == 3 else {
      throw DataError.invalidArgument(op: op, reason: "channels must be 1 (grey) or 3 (RGB), got \(channels)")
    }
    for (name, s) in [("size", size), ("crop", crop)] {
      if let s, s.count != 2 || s.contains(where: { $0 <= 0 }) {
        throw DataError.invalidArgument(
          op: op, reason: "\(name) must be [height, width] with positive values, got \(shapeString(s))")
      }
    }
    if let c = crop, let s = size, c[0] > s[0] || c[1] > s[1] {
      throw DataError.invalidArgument(
        op: op, reason: "crop \(shapeString(c)) is larger than the resized image \(shapeString(s))")
    }
    guard (mean == nil) == (std == nil) else {
      throw DataError.invalidArgument(op: op, reason: "give both mean and std, or neither")
    }
    if let m = mean, let s = std {
      guard m.count == channels || m.count == 1, s.count == m.count else {
        throw DataError.invalidArgument(
          op: op, reason: "mean and std need 1 or \(channels) values each, got \(m.count) and \(s.count)")
      }
      guard s.allSatisfy({ $0 > 0 }) else {
        throw DataError.invalidArgument(op: op, reason: "std values must be positive")
      }
    }
  }

  /// The item shape an image of `height` x `width` comes out as.
  public func outputShape(height: Int, width: Int) -> [Int] {
    let s = size ?? [height, width]
    let c = crop ?? s
    return [channels, c[0], c[1]]
  }

  /// The image resized (if `size` is set): the deterministic part, which a cache may keep.
  public func resized(_ image: DecodedImage) -> DecodedImage {
    guard let s = size, s != [image.height, image.width] else { return image }
    return ImageTransform.bilinear(image, height: s[0], width: s[1])
  }

  /// Crop, flip and normalise a resized image into `out` (`outputShape` floats).
  public func finish(
    _ image: DecodedImage, into out: UnsafeMutablePointer<Float>, rng: inout RandomGenerator,
    path: String
  ) throws {
    let (h, w) = (crop?[0] ?? image.height, crop?[1] ?? image.width)
    guard h <= image.height, w <= image.width else {
      throw DataError.badValue(
        path: path,
        reason:
          "the image is \(image.height)x\(image.width), smaller than the crop \(h)x\(w); give size: to resize first")
    }
    let top = randomCrop ? rng.nextInt(below: image.height - h + 1) : (image.height - h) / 2
    let left = randomCrop ? rng.nextInt(below: image.width - w + 1) : (image.width - w) / 2
    let flip = horizontalFlip && rng.next() & 1 == 1
    image.pixels.withUnsafeBufferPointer { src in
      for c in 0..<channels {
        let m = mean.map { $0.count == 1 ? $0[0] : $0[c] } ?? 0
        let inverse = std.map { 1 / ($0.count == 1 ? $0[0] : $0[c]) } ?? 1
        for y in 0..<h {
          let row = (c * image.height + top + y) * image.width + left
          let dst = out + (c * h + y) * w
          for x in 0..<w { dst[x] = (src[row + (flip ? w - 1 - x : x)] - m) * inverse }
        }
      }
    }
  }

  /// Bilinear resampling with pixel centres at half-integers and edges clamped: PyTorch's
  /// `interpolate(mode="bilinear", align_corners=False)` without antialiasing.
  public static func bilinear(_ image: DecodedImage, height: Int, width: Int) -> DecodedImage {
    let (ih, iw) = (image.height, image.width)
    func taps(_ n: Int, _ from: Int) -> [(Int, Int, Float)] {
      let scale = Float(from) / Float(n)
      return (0..<n).map { o in
        let s = Swift.max(0, (Float(o) + 0.5) * scale - 0.5)
        let i0 = Swift.min(Int(s), from - 1)
        return (i0, Swift.min(i0 + 1, from - 1), s - Float(i0))
      }
    }
    let ys = taps(height, ih)
    let xs = taps(width, iw)
    var out = [Float](repeating: 0, count: image.channels * height * width)
    image.pixels.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for c in 0..<image.channels {
          let plane = c * ih * iw
          for (y, (y0, y1, wy)) in ys.enumerated() {
            let r0 = plane + y0 * iw
            let r1 = plane + y1 * iw
            let o = (c * height + y) * width
            for (x, (x0, x1, wx)) in xs.enumerated() {
              let top = src[r0 + x0] + (src[r0 + x1] - src[r0 + x0]) * wx
              let bottom = src[r1 + x0] + (src[r1 + x1] - src[r1 + x0]) * wx
              dst[o + x] = top + (bottom - top) * wy
            }
          }
        }
      }
    }
    return DecodedImage(width: width, height: height, channels: image.channels, pixels: out)
  }
}
