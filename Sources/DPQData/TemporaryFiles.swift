import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The temporary files of writes in progress, so a SIGTERM or SIGHUP during a write does not
/// leave them behind (a killed `save` once left an 84 MB orphan beside the file it replaced).
/// SIGINT needs nothing here: dpq turns it into a stop request, and the write finishes or fails.
public enum TemporaryFiles {
  /// Fixed slots of strdup'ed paths: the signal handler reads them without allocating or
  /// locking; writers beyond the slots simply go unregistered.
  static let capacity = 64
  nonisolated(unsafe) static let slots: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
    let p = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
    p.initialize(repeating: nil, count: capacity)
    return p
  }()
  static let lock = NSLock()

  static func register(_ path: String) {
    lock.lock(); defer { lock.unlock() }
    for i in 0..<capacity where slots[i] == nil {
      slots[i] = strdup(path)
      return
    }
  }

  static func unregister(_ path: String) {
    lock.lock(); defer { lock.unlock() }
    for i in 0..<capacity {
      if let p = slots[i], String(cString: p) == path {
        slots[i] = nil
        free(p)
        return
      }
    }
  }

  /// The registered paths (tests).
  static var registered: [String] {
    lock.lock(); defer { lock.unlock() }
    return (0..<capacity).compactMap { slots[$0].map { String(cString: $0) } }
  }

  /// Installs handlers for SIGTERM and SIGHUP that remove the registered files and then die of
  /// the same signal, as the process would have without them. The executable calls this once.
  public static func removeOnTermination() {
    _ = slots  // initialised here, never first in the handler
    for sig in [SIGTERM, SIGHUP] {
      var action = sigaction()
      action.__sigaction_handler.sa_handler = { sig in
        // unlink, signal and raise are async-signal-safe
        for i in 0..<TemporaryFiles.capacity { if let p = TemporaryFiles.slots[i] { unlink(p) } }
        signal(sig, SIG_DFL)
        raise(sig)
      }
      sigemptyset(&action.sa_mask)
      sigaction(sig, &action, nil)
    }
    // a parent may hand down these signals blocked (a test harness's Process did: SIGTERM then
    // stayed pending and dpq never died); unblocked here, before any other thread exists, every
    // thread inherits the unblocked mask
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGTERM)
    sigaddset(&unblock, SIGHUP)
    pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
  }
}
