import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// How much memory this process may use, from every source that can cap it: physical memory,
/// the address-space and data-segment rlimits (`ulimit -v`, `ulimit -d`) and the cgroup memory
/// limit of a container or systemd unit. An allocation over any of them does not fail politely:
/// `malloc` returns nil and Swift traps, or the kernel's OOM killer ends the process, so tensor
/// sizes are checked against these caps before anything is allocated.
public enum MemoryLimit {
  /// The smallest fixed cap in bytes. Read once: the limits of a running process rarely change,
  /// and `Tensor.checkShape` runs on every op.
  public static let capBytes: UInt64 = {
    var cap = ProcessInfo.processInfo.physicalMemory
    for limit in [rlimit(RLIMIT_AS), rlimit(RLIMIT_DATA), cgroupLimit()].compactMap({ $0 }) { cap = min(cap, limit) }
    return cap
  }()

  /// Requests at least this large also check the headroom left under each cap right now; smaller
  /// ones skip it, because reading /proc costs more than such an allocation.
  public static let headroomThreshold = 64 << 20

  /// Room kept under every cap for the process's own growth after a tensor is allocated: each
  /// thread that starts to allocate maps a malloc arena of 64 MiB of address space, threads map
  /// their stacks, and the next op needs buffers of its own. Without it a tensor that took all
  /// but a few MiB under `ulimit -v` was allowed when the check ran before the worker threads had
  /// started, and the process aborted in malloc moments later (1 run in 12 of 12 at once).
  public static let reserveBytes: UInt64 = 256 << 20

  /// The bytes that can still be allocated before one of the caps is reached (less
  /// `reserveBytes`), and the cap's name: the rlimits and the cgroup limit less what is in use,
  /// and the memory the kernel reports available (MemAvailable). The last matters without any
  /// limit set: the kernel overcommits, so two 16 GiB tensors on a 23 GiB machine were both
  /// "allocated" and the OOM killer ended dpq when the second was zeroed.
  public static func headroom() -> (bytes: UInt64, cap: String)? {
    var best: (bytes: UInt64, cap: String)? = nil
    func consider(_ limit: UInt64?, used: UInt64?, _ cap: String) {
      guard let limit, let used else { return }
      let left = limit > used + reserveBytes ? limit - used - reserveBytes : 0
      if best == nil || left < best!.bytes { best = (left, cap) }
    }
    let pages = statm()
    let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    // statm fields: size (all mapped pages, what RLIMIT_AS counts) and data (data + stack)
    consider(rlimit(RLIMIT_AS), used: pages.map { $0.size * page }, "the address-space limit (RLIMIT_AS, ulimit -v)")
    consider(rlimit(RLIMIT_DATA), used: pages.map { $0.data * page }, "the data-segment limit (RLIMIT_DATA, ulimit -d)")
    if let available = memAvailable() {
      consider(available, used: 0, "the memory available on this machine (MemAvailable)")
    }
    if let dir = cgroupDirectory() {
      consider(
        cgroupLimit(in: dir), used: readNumber(dir + "/memory.current") ?? readNumber(dir + "/memory.usage_in_bytes"),
        "the cgroup memory limit")
    }
    return best
  }

  // MARK: sources

  /// A soft rlimit in bytes, nil when unlimited.
  static func rlimit(_ resource: __rlimit_resource) -> UInt64? {
    var r = Glibc.rlimit()
    // RLIM_INFINITY is all ones, rlim_t.max (the C macro does not import)
    guard getrlimit(__rlimit_resource_t(resource.rawValue), &r) == 0, r.rlim_cur != rlim_t.max else { return nil }
    return UInt64(r.rlim_cur)
  }

  /// This process's cgroup directory holding the memory controller's files: cgroup v2's unified
  /// hierarchy (`memory.max`), else v1's memory hierarchy (`memory.limit_in_bytes`).
  /// `membership` and `root` are /proc/self/cgroup and /sys/fs/cgroup but for tests.
  static func cgroupDirectory(membership: String = "/proc/self/cgroup", root: String = "/sys/fs/cgroup") -> String? {
    let lines = (try? String(contentsOfFile: membership, encoding: .utf8))?.split(separator: "\n") ?? []
    var candidates: [String] = []
    for line in lines {
      let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard parts.count == 3 else { continue }
      if parts[0] == "0" && parts[1].isEmpty { candidates.append(root + parts[2]) }
      if parts[1].split(separator: ",").contains("memory") { candidates.append(root + "/memory" + parts[2]) }
    }
    // inside a container the process's own path is often not mounted; its root is its cgroup
    candidates += [root, root + "/memory"]
    return candidates.first { dir in
      FileManager.default.fileExists(atPath: dir + "/memory.max")
        || FileManager.default.fileExists(atPath: dir + "/memory.limit_in_bytes")
    }.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
  }

  /// The cgroup memory limit in bytes, nil when there is none ("max", or v1's huge sentinel).
  static func cgroupLimit(in directory: String? = cgroupDirectory()) -> UInt64? {
    guard let dir = directory else { return nil }
    let limit = readNumber(dir + "/memory.max") ?? readNumber(dir + "/memory.limit_in_bytes")
    guard let limit, limit < UInt64(1) << 62 else { return nil }
    return limit
  }

  /// The first number in a small file, nil when it is missing or not a number ("max").
  static func readNumber(_ path: String) -> UInt64? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return UInt64(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first ?? "")
  }

  /// /proc/meminfo's MemAvailable in bytes.
  static func memAvailable() -> UInt64? {
    guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
      let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") })
    else { return nil }
    return line.split(separator: " ").dropFirst().first.flatMap { UInt64($0) }.map { $0 * 1024 }
  }

  /// /proc/self/statm's total and data page counts.
  static func statm() -> (size: UInt64, data: UInt64)? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let f = text.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    return f.count >= 6 ? (f[0], f[5]) : nil
  }
}
