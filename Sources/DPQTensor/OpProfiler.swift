import Dispatch

/// An in-process per-op timer for `dpq bench profile`: exclusive wall-clock seconds and call
/// counts per label, from regions the layers, the trainer and `backward()` mark with `measure`.
///
/// Off by default, when `measure` costs one load and a branch. Regions nest: a region's own
/// time excludes the regions inside it, so the labels of one step add up to the step. Only the
/// thread that turned it on records (worker threads inside a region count towards it).
public enum OpProfiler {
  /// One label's totals.
  public struct Entry: Sendable {
    public var seconds: Double = 0
    public var calls = 0
  }

  nonisolated(unsafe) public private(set) static var isEnabled = false
  nonisolated(unsafe) private static var totals: [String: Entry] = [:]
  /// Seconds spent in nested regions, one slot per open region.
  nonisolated(unsafe) private static var childSeconds: [Double] = []
  nonisolated(unsafe) private static var owner: pthread_t? = nil

  /// Starts recording on the calling thread, forgetting earlier totals.
  public static func start() {
    totals = [:]
    childSeconds = []
    owner = pthread_self()
    isEnabled = true
  }

  /// Stops recording and returns the totals per label.
  @discardableResult
  public static func stop() -> [String: Entry] {
    isEnabled = false
    owner = nil
    return totals
  }

  /// The totals so far.
  public static var snapshot: [String: Entry] { totals }

  /// Runs `body`, charging its time (less that of regions inside it) to `label`.
  @inline(__always)
  public static func measure<R>(_ label: @autoclosure () -> String, _ body: () throws -> R) rethrows -> R {
    guard isEnabled, let o = owner, pthread_equal(o, pthread_self()) != 0 else { return try body() }
    return try timed(label(), body)
  }

  /// Charges the time since `start` (a `DispatchTime` uptime in nanoseconds) to `label`, for code
  /// that a closure would not fit around; nothing may be measured inside it.
  public static func charge(_ label: String, since start: UInt64) {
    guard isEnabled, let o = owner, pthread_equal(o, pthread_self()) != 0 else { return }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    totals[label, default: Entry()].seconds += seconds
    totals[label, default: Entry()].calls += 1
    if !childSeconds.isEmpty { childSeconds[childSeconds.count - 1] += seconds }
  }

  private static func timed<R>(_ label: String, _ body: () throws -> R) rethrows -> R {
    childSeconds.append(0)
    let start = DispatchTime.now().uptimeNanoseconds
    defer {
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      let inner = childSeconds.removeLast()
      totals[label, default: Entry()].seconds += seconds - inner
      totals[label, default: Entry()].calls += 1
      if !childSeconds.isEmpty { childSeconds[childSeconds.count - 1] += seconds }
    }
    return try body()
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
