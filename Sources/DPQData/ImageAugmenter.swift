import DPQTensor

/// Seeded training-time augmentation of `[n, c, h, w]` image batches: a random shift of up to
/// `maxShift` pixels in each direction with zero fill (the same as zero-padding by `maxShift` and
/// cropping back at a random offset), and optionally a horizontal flip with probability 1/2
/// (right for clothing and objects, wrong for digits, so off by default).
///
/// The output is written into a buffer kept from the previous call when the caller has released
/// that batch, so a training loop does not allocate a fresh batch per step.
public final class ImageAugmenter {
  /// Largest shift in pixels, each direction.
  public let maxShift: Int
  /// Whether images are mirrored left-right with probability 1/2.
  public let horizontalFlip: Bool
  private var rng: RandomGenerator
  private var buffer: Tensor?

  public init(maxShift: Int = 2, horizontalFlip: Bool = false, seed: UInt64 = 0) throws {
    guard maxShift >= 0 else {
      throw DataError.invalidArgument(op: "ImageAugmenter", reason: "maxShift must be non-negative, got \(maxShift)")
    }
    self.maxShift = maxShift
    self.horizontalFlip = horizontalFlip
    rng = RandomGenerator(seed: seed)
  }

  /// The augmented batch; each image gets its own shift (and flip), drawn in batch order.
  /// The generator's state, so a training checkpoint continues the same shifts and flips.
  public var generatorState: [UInt64] { rng.state }

  /// Continues from `state` (as `generatorState` returned it).
  public func restoreGenerator(state: [UInt64]) throws {
    guard let g = RandomGenerator(state: state) else {
      throw DataError.invalidArgument(op: "ImageAugmenter", reason: "not a generator state: \(state)")
    }
    rng = g
  }

  public func callAsFunction(_ images: Tensor) throws -> Tensor {
    guard images.rank == 4 else {
      throw DataError.invalidArgument(
        op: "ImageAugmenter", reason: "expected images [n, c, h, w], got shape \(shapeString(images.shape))")
    }
    let (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3])
    var draws: [(dy: Int, dx: Int, flip: Bool)] = []
    draws.reserveCapacity(n)
    for _ in 0..<n {
      let dy = rng.nextInt(below: 2 * maxShift + 1) - maxShift
      let dx = rng.nextInt(below: 2 * maxShift + 1) - maxShift
      let flip = horizontalFlip && rng.next() & 1 == 1
      draws.append((dy, dx, flip))
    }
    var out: Tensor
    if let b = buffer, b.shape == images.shape { out = b } else { out = Tensor(shape: images.shape) { _ in } }
    buffer = nil // so an unshared buffer is written in place
    out.withUnsafeMutableBufferPointer { dst in
      images.withUnsafeBufferPointer { src in
        guard let s = src.baseAddress, let d = dst.baseAddress else { return }
        for i in 0..<n {
          let (dy, dx, flip) = draws[i]
          for channel in 0..<c {
            let plane = (i * c + channel) * h * w
            for y in 0..<h {
              let row = d + plane + y * w
              let sy = y + dy
              guard sy >= 0, sy < h else {
                row.update(repeating: 0, count: w)
                continue
              }
              let source = s + plane + sy * w
              // Output x reads source column x + dx (before the flip), zero outside the image.
              let lo = Swift.min(w, Swift.max(0, -dx))
              let hi = Swift.max(lo, Swift.min(w, w - dx))
              if !flip {
                row.update(repeating: 0, count: lo)
                if hi > lo { row.advanced(by: lo).update(from: source + lo + dx, count: hi - lo) }
                row.advanced(by: hi).update(repeating: 0, count: w - hi)
              } else {
                for x in 0..<w {
                  let sx = (w - 1 - x) + dx
                  row[x] = sx >= 0 && sx < w ? source[sx] : 0
                }
              }
            }
          }
        }
      }
    }
    buffer = out
    return out
  }
}
