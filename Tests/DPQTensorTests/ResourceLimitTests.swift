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

  /// The cgroup memory limit, from a fake /proc/self/cgroup and /sys/fs/cgroup (no test can set a
  /// real limit without owning the machine's cgroups): v2's memory.max, v1's
  /// memory.limit_in_bytes, and the values that mean "no limit".
  @Test func theCgroupLimitIsReadForV2AndV1() throws {
    let root = NSTemporaryDirectory() + "dpq-cgroup-\(UUID().uuidString)"
    defer { try? FileManager.default.removeItem(atPath: root) }
    func write(_ text: String, _ path: String) throws {
      try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
      try text.write(toFile: path, atomically: false, encoding: .utf8)
    }
    // v2: one unified line, the limit in memory.max
    try write("0::/jobs/dpq\n", root + "/v2-membership")
    try write("1073741824\n", root + "/v2/jobs/dpq/memory.max")
    let v2 = try #require(MemoryLimit.cgroupDirectory(membership: root + "/v2-membership", root: root + "/v2"))
    #expect(v2 == root + "/v2/jobs/dpq")
    #expect(MemoryLimit.cgroupLimit(in: v2) == 1 << 30)
    try write("max\n", v2 + "/memory.max")
    #expect(MemoryLimit.cgroupLimit(in: v2) == nil)
    // v1: the memory controller's line, the limit in memory.limit_in_bytes; its "unlimited"
    try write("5:cpu,cpuacct:/a\n4:memory:/docker/abc\n", root + "/v1-membership")
    try write("2147483648\n", root + "/v1/memory/docker/abc/memory.limit_in_bytes")
    let v1 = try #require(MemoryLimit.cgroupDirectory(membership: root + "/v1-membership", root: root + "/v1"))
    #expect(v1 == root + "/v1/memory/docker/abc")
    #expect(MemoryLimit.cgroupLimit(in: v1) == 1 << 31)
    try write("9223372036854771712\n", v1 + "/memory.limit_in_bytes")
    #expect(MemoryLimit.cgroupLimit(in: v1) == nil)
    // a path that is not mounted (inside a container): the hierarchy's root is the cgroup
    try write("0::/not/mounted\n", root + "/v3-membership")
    try write("536870912\n", root + "/v3/memory.max")
    #expect(MemoryLimit.cgroupDirectory(membership: root + "/v3-membership", root: root + "/v3") == root + "/v3")
    // the cap takes the real limit into account, whatever it is
    if let real = MemoryLimit.cgroupLimit() { #expect(MemoryLimit.capBytes <= real) }
  }
}
