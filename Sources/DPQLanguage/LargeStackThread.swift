import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Runs work on a thread of its own with a large stack, and joins it. Scripts recurse in the
/// tree-walking evaluator, so they need more stack than a process's threads get; joining (not
/// only waiting for a signal) means the thread and everything its closure held are gone when
/// `run` returns: a session its owner lets go is freed then, not whenever the thread gets round
/// to exiting (LeakSanitizer saw whole sessions "leaked" in that gap, in some runs and not others).
public enum LargeStackThread {
  public struct StartFailure: Error, CustomStringConvertible {
    public let code: Int32
    public var description: String {
      "cannot start a thread with a \(ScriptSession.stackSize >> 20) MB stack: \(String(cString: strerror(code)))"
    }
  }

  private final class Work {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
  }

  private final class Box<T> { var value: T? }

  public static func run<T>(stackSize: Int, _ body: @escaping () -> T) throws -> T {
    let box = Box<T>()
    let work = Work { box.value = body() }
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setstacksize(&attributes, stackSize)
    var thread = pthread_t()
    // `work` outlives the thread (joined below), so the thread borrows it unretained
    let created = pthread_create(
      &thread, &attributes,
      { raw in
        Unmanaged<Work>.fromOpaque(raw!).takeUnretainedValue().body()
        return nil
      }, Unmanaged.passUnretained(work).toOpaque())
    guard created == 0 else { throw StartFailure(code: created) }
    pthread_join(thread, nil)
    guard let value = box.value else { preconditionFailure("the thread finished without a result") }
    return value
  }
}
