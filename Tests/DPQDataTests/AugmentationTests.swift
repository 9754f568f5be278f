import DPQTensor
import Testing

@testable import DPQData

@Suite struct AugmentationTests {
  /// `n` images of `c` x 5 x 6 whose pixels are all distinct and non-zero.
  func images(_ n: Int, channels c: Int = 2) throws -> Tensor {
    try Tensor(shape: [n, c, 5, 6], scalars: (0..<n * c * 30).map { Float($0 + 1) })
  }

  /// Image `i` shifted by (dy, dx) and optionally mirrored, computed naively.
  func reference(_ x: Tensor, _ i: Int, dy: Int, dx: Int, flip: Bool) -> [Float] {
    let (c, h, w) = (x.shape[1], x.shape[2], x.shape[3])
    let v = x.scalars
    var out: [Float] = []
    for ch in 0..<c {
      for y in 0..<h {
        for xo in 0..<w {
          let xs = (flip ? w - 1 - xo : xo) + dx
          let ys = y + dy
          out.append(ys >= 0 && ys < h && xs >= 0 && xs < w ? v[((i * c + ch) * h + ys) * w + xs] : 0)
        }
      }
    }
    return out
  }

  @Test func zeroShiftWithoutFlipIsTheIdentity() throws {
    let x = try images(4)
    let augment = try ImageAugmenter(maxShift: 0, horizontalFlip: false, seed: 1)
    #expect(try augment(x) == x)
  }

  @Test(arguments: [false, true])
  func everyImageIsAShiftOfItself(flip: Bool) throws {
    let x = try images(40)
    let augment = try ImageAugmenter(maxShift: 2, horizontalFlip: flip, seed: 5)
    let y = try augment(x)
    #expect(y.shape == x.shape)
    var seenShifts = Set<[Int]>()
    var flips = 0
    for i in 0..<40 {
      let got = Array(y.scalars[i * 60..<(i + 1) * 60])
      var match: [Int]? = nil
      for dy in -2...2 {
        for dx in -2...2 {
          for f in flip ? [false, true] : [false] where match == nil {
            if reference(x, i, dy: dy, dx: dx, flip: f) == got { match = [dy, dx, f ? 1 : 0] }
          }
        }
      }
      let m = try #require(match, "image \(i) is not a shift of the input")
      seenShifts.insert([m[0], m[1]])
      flips += m[2]
    }
    #expect(seenShifts.count > 10) // shifts really vary
    if flip { #expect(flips > 5 && flips < 35) } else { #expect(flips == 0) }
  }

  @Test func seededAndBufferSafe() throws {
    let x = try images(8, channels: 1)
    let a = try ImageAugmenter(maxShift: 3, horizontalFlip: true, seed: 11)
    let b = try ImageAugmenter(maxShift: 3, horizontalFlip: true, seed: 11)
    let first = try a(x)
    let firstValues = first.scalars
    #expect(first == (try b(x)))
    let second = try a(x) // `first` is still held: must not be overwritten
    #expect(first.scalars == firstValues)
    #expect(first != second)
    #expect(second == (try b(x)))
    let c = try ImageAugmenter(maxShift: 3, horizontalFlip: true, seed: 12)
    #expect(try c(x) != first)
    #expect(throws: DataError.self) { try a(Tensor.zeros([2, 3])) }
    #expect(throws: DataError.self) { try ImageAugmenter(maxShift: -1) }
    // Shifts larger than the image give all-zero images, not a crash.
    let far = try ImageAugmenter(maxShift: 40, seed: 2)
    #expect(try far(x).shape == x.shape)
  }
}
