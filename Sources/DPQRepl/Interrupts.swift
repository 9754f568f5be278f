import CReadline
import Foundation

/// Ctrl-C for an interactive session.
///
/// The SIGINT handler only sets flags (async-signal-safe). What a Ctrl-C means depends on the
/// phase the REPL announced:
/// - at the prompt, the line editor sees its read interrupted (`EINTR`) and clears the line;
/// - during work, the session's `shouldStop` returns true, so the interpreter stops at its next
///   statement, loop iteration or call, and a builtin stops at its next batch or iteration;
/// - a second Ctrl-C during work, within `Interrupts.exitWindow` of the first and before the work
///   has stopped (a long native call that cannot poll), exits the process with status 130.
public enum Interrupts {
  /// Seconds after a first Ctrl-C during which a second one, while the work has not stopped,
  /// exits the process.
  public static var exitWindow: Double { Double(exitWindowMilliseconds) / 1000 }

  /// Flags shared with the signal handler: [pending, working, first press in ms (low, high)].
  /// Only read and written through the atomic helpers of CReadline.
  nonisolated(unsafe) fileprivate static let flags: UnsafeMutablePointer<Int32> = {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: 4)
    p.initialize(repeating: 0, count: 4)
    return p
  }()

  nonisolated(unsafe) private static var installed = false // set once, from the main thread

  /// Installs the SIGINT handler (without `SA_RESTART`, so a blocking read returns `EINTR`) and
  /// ignores SIGPIPE. Call once, from the main thread, before the first prompt.
  ///
  /// With `respectingIgnored` (scripts), a SIGINT the parent ignores stays ignored: a shell
  /// ignores it for the jobs it starts with `&`, so that a Ctrl-C meant for the foreground does
  /// not stop them.
  public static func install(respectingIgnored: Bool = false) {
    guard !installed else { return }
    installed = true
    _ = flags // initialise the storage before the handler can run
    if respectingIgnored && inheritedInterruptIsIgnored() {
      ignoreBrokenPipes()
      return
    }
    var action = sigaction()
    #if os(Linux)
      action.__sigaction_handler.sa_handler = onInterrupt
    #else
      action.__sigaction_u.__sa_handler = onInterrupt
    #endif
    sigemptyset(&action.sa_mask)
    action.sa_flags = 0
    sigaction(SIGINT, &action, nil)
    // a parent may have blocked SIGINT; the REPL needs it
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    ignoreBrokenPipes()
  }

  /// True when the process started with SIGINT ignored.
  static func inheritedInterruptIsIgnored() -> Bool {
    var current = sigaction()
    guard sigaction(SIGINT, nil, &current) == 0 else { return false }
    #if os(Linux)
      let handler = current.__sigaction_handler.sa_handler
    #else
      let handler = current.__sigaction_u.__sa_handler
    #endif
    guard let handler else { return false } // SIG_DFL
    return unsafeBitCast(handler, to: Int.self) == 1 // SIG_IGN is the handler 1
  }

  /// A closed pipe (`dpq ... | head`) ends output quietly instead of killing the process.
  public static func ignoreBrokenPipes() {
    signal(SIGPIPE, SIG_IGN)
  }

  /// True when Ctrl-C was pressed since the last `clear()`.
  public static var isPending: Bool { dpq_atomic_load(flags) != 0 }

  /// Forgets a pending Ctrl-C; returns whether there was one.
  @discardableResult
  public static func clear() -> Bool { dpq_atomic_exchange(flags, 0) != 0 }

  /// Runs `work` in the "working" phase: Ctrl-C requests a stop instead of clearing a line.
  public static func whileWorking<T>(_ work: () throws -> T) rethrows -> T {
    clear()
    dpq_atomic_store(flags + 1, 1)
    defer {
      dpq_atomic_store(flags + 1, 0)
      clear() // the press that stopped the work is used up
    }
    return try work()
  }

  /// Simulates a Ctrl-C (tests, and hosts that learn of an interrupt another way).
  public static func raise() { onInterrupt(SIGINT) }
}

/// Milliseconds of the monotonic clock (async-signal-safe).
private func monotonicMilliseconds() -> Int64 {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
}

/// The SIGINT handler: sets flags, and exits on a repeated Ctrl-C while work does not stop.
private let onInterrupt: @convention(c) (Int32) -> Void = { _ in
  let flags = Interrupts.flags
  let now = monotonicMilliseconds()
  let working = dpq_atomic_load(flags + 1) != 0
  let wasPending = dpq_atomic_exchange(flags, 1) != 0
  if working && wasPending {
    let first = Int64(UInt32(bitPattern: dpq_atomic_load(flags + 2))) | (Int64(dpq_atomic_load(flags + 3)) << 32)
    if now - first <= exitWindowMilliseconds {
      let message: StaticString = "\ninterrupted twice while the work did not stop: exiting\n"
      _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
      _exit(130)
    }
  }
  // a later press starts a new window
  dpq_atomic_store(flags + 2, Int32(truncatingIfNeeded: now))
  dpq_atomic_store(flags + 3, Int32(truncatingIfNeeded: now >> 32))
}

/// `Interrupts.exitWindow` as a literal: the handler must not run a lazy initialiser.
private let exitWindowMilliseconds: Int64 = 2000
