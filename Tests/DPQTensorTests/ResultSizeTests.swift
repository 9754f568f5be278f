import Foundation
import Testing

@testable import DPQTensor

/// Ops whose result is larger than their inputs refuse it before allocating: a typo such as
/// `[100000, 1] + [1, 100000]` must be an error, not a 40 GB malloc that ends the process.
@Suite struct ResultSizeTests {
  static let column = Tensor(shape: [100_000, 1]) { $0.initialize(repeating: 0) }
  static let row = Tensor(shape: [1, 100_000]) { $0.initialize(repeating: 0) }

  func expectTooLarge(_ what: String, _ body: () throws -> Tensor) {
    do {
      let t = try body()
      Issue.record("\(what) made a tensor of shape \(t.shape)")
    } catch let e as TensorError {
      guard case .tooLarge = e else {
        Issue.record("\(what): \(e)")
        return
      }
    } catch { Issue.record("\(what): \(error)") }
  }

  @Test func broadcastingOpsCheckTheirResult() {
    let (a, b) = (Self.column, Self.row)
    expectTooLarge("+") { try a + b }
    expectTooLarge("-") { try a - b }
    expectTooLarge("*") { try a * b }
    expectTooLarge("==") { try Tensor.equal(a, b) }
    expectTooLarge("where") { try Tensor.where(a, a, b) }
  }

  @Test func matmulChecksItsResultAndBLASLimits() {
    expectTooLarge("@") { try Tensor.matmul(Self.column, Self.row) }
    expectTooLarge("batched @") {
      try Tensor.matmul(Tensor(shape: [2, 100_000, 1]) { $0.initialize(repeating: 0) }, Self.row)
    }
  }

  @Test func emptyTensorsWithHugeDimensionsAreRefused() {
    // [0, 10^15] holds nothing, but its transpose's product or a reduction over axis 0 would be
    // 10^15 wide, and computing its strides overflowed into a trap
    expectTooLarge("zeros") { try Tensor.zeros([0, 1_000_000_000_000_000]) }
    expectTooLarge("zeros") { try Tensor.zeros([0, 1 << 40, 1 << 40]) }
    expectTooLarge("reshape") { try Tensor.zeros([0]).reshaped([0, 1 << 40, 1 << 40]) }
    #expect((try? Tensor.zeros([0, 1000]))?.shape == [0, 1000])
  }

  @Test func aRequestBeyondTheAvailableMemoryIsRefusedWithoutAllocating() throws {
    // checkShape allocates nothing: ask for a little more than the kernel says is available
    let available = try #require(MemoryLimit.memAvailable())
    let n = Int(available / 4) + (1 << 20)
    do {
      try Tensor.checkShape([n], op: "zeros")
      Issue.record("\(n) elements accepted with \(available) bytes available")
    } catch let e as TensorError {
      switch e {
      case .outOfMemory(_, _, _, let cap):
        #expect(n <= Tensor.elementLimit && cap.contains("available") || cap.contains("limit"), "\(e)")
      case .tooLarge: #expect(n > Tensor.elementLimit, "\(e)")
      default: Issue.record("\(e)")
      }
    }
  }

  @Test func theHeadroomCheckRefusesMoreThanTheLimitsLeave() throws {
    // the cap is physical memory at most, and no more than any rlimit or cgroup limit that is set
    #expect(MemoryLimit.capBytes <= ProcessInfo.processInfo.physicalMemory)
    if let cgroup = MemoryLimit.cgroupLimit() { #expect(MemoryLimit.capBytes <= cgroup) }
    if let a = MemoryLimit.rlimit(RLIMIT_AS) { #expect(MemoryLimit.capBytes <= a) }
  }
}
