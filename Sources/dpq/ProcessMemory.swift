import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What the process holds in memory, for the benchmarks' memory-per-item figures.
enum ProcessMemory {
  /// Resident set size in bytes now (Linux: /proc/self/statm), nil where unavailable.
  static func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
  }

  /// CPU seconds (user + system) the process has used on all its threads: on a shared machine,
  /// work per CPU second is steadier than work per wall-clock second.
  static func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
  }

  /// Gives freed heap memory back to the system (glibc's malloc_trim, looked up at run time since
  /// the Glibc module does not export it), so that a resident-size difference measures what is
  /// live rather than what malloc kept from earlier work.
  static func releaseFreed() {
    #if canImport(Glibc)
      guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
      typealias MallocTrim = @convention(c) (Int) -> Int32
      _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
    #endif
  }
}
