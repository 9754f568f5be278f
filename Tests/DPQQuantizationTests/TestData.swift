import DPQTensor
import Foundation

@testable import DPQQuantization

/// Seeded data sets shared by the quantization tests.
enum TestData {
  /// n x d standard normal rows.
  static func gaussian(_ n: Int, _ d: Int, seed: UInt64) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return try Tensor.randomNormal([n, d], using: &rng)
  }

  /// Rows around `clusters` random centres (spread 4) with unit noise.
  static func blobs(_ n: Int, _ d: Int, clusters: Int, seed: UInt64) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let centres = (0..<(clusters * d)).map { _ in 4 * rng.nextNormal() }
    return Tensor(shape: [n, d]) { b in
      for i in 0..<n {
        let c = rng.nextInt(below: clusters)
        for j in 0..<d { b[i * d + j] = centres[c * d + j] + rng.nextNormal() }
      }
    }
  }

  /// Anisotropic Gaussian rows (standard deviation decaying from 3 to 0.1 along the axes) turned
  /// by a random rotation, so the variance is correlated across every PQ subspace. The rotation
  /// depends on `rotationSeed` only: sets drawn with other `seed`s share one distribution.
  static func rotatedAnisotropic(_ n: Int, _ d: Int, seed: UInt64, rotationSeed: UInt64 = 99) throws -> Tensor {
    var rng = RandomGenerator(seed: seed)
    let ratio: Float = 0.1 / 3
    let scales: [Float] = (0..<d).map { j in
      let t = Float(j) / Float(max(1, d - 1))
      return 3 * powf(ratio, t)
    }
    let z = Tensor(shape: [n, d]) { b in
      for i in 0..<n { for j in 0..<d { b[i * d + j] = scales[j] * rng.nextNormal() } }
    }
    let r = try Orthogonal.random(dimension: d, seed: rotationSeed)
    return try Tensor.matmul(z, r, transposeA: false, transposeB: true)
  }

  /// Row i of a rank-2 tensor.
  static func row(_ x: Tensor, _ i: Int) -> [Float] {
    let d = x.shape[1]
    return Array(x.scalars[i * d..<(i + 1) * d])
  }

  /// Exact squared distance in Double.
  static func distance(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
  }
}

/// A counter that callbacks and stop polls share; thread-safe, since stop polls are `@Sendable`
/// (a library may poll from its workers).
final class SharedCounter: @unchecked Sendable {
  private var count = 0
  private let lock = NSLock()

  /// Adds one and returns the new count.
  @discardableResult func increment() -> Int {
    lock.lock()
    defer { lock.unlock() }
    count += 1
    return count
  }

  var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return count
  }
}
