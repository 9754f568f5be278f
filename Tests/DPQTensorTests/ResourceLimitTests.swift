import Foundation
import Testing
@testable import DPQTensor

/// Tensors too large for the machine are refused before any allocation, naming the size asked for.
@Suite struct ResourceLimitTests {
  @Test func theLimitIsTheSmallerOfTheMaximumAndPhysicalMemory() {
    let limit = Tensor.elementLimit
    #expect(limit <= Tensor.maxElements)
    #expect(UInt64(limit) * 4 <= ProcessInfo.processInfo.physicalMemory)
    #expect(limit > 1 << 20)
  }

  @Test func aRequestOverTheLimitIsRefusedWithItsSize() throws {
    let n = Tensor.elementLimit + 1
    do {
      try Tensor.checkShape([n], op: "zeros")
      Issue.record("a tensor of \(n) elements was accepted")
    } catch let e as TensorError {
      #expect(e == .tooLarge(op: "zeros", elements: n, bytes: n * 4))
      #expect(e.description.contains("\(n) elements (\(n * 4 / 1_048_576) MiB) is too large"), "\(e)")
    }
    // an overflowing product is refused too, not wrapped around
    #expect(throws: TensorError.self) { try Tensor.checkShape([1 << 40, 1 << 40], op: "zeros") }
  }
}
