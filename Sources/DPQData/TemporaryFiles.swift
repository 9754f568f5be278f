import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The temporary files of writes in progress, so a SIGTERM or SIGHUP during a write does not
/// leave them behind (a killed `save` once left an 84 MB orphan beside the file it replaced).
/// SIGINT needs nothing here: dpq turns it into a stop request, and the write finishes or fails.
/// SIGKILL cannot be caught: the next write to the same directory sweeps what it left
/// (`sweepOrphans(in:)`).
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
    lock.lock()
    defer { lock.unlock() }
    for i in 0..<capacity where slots[i] == nil {
      slots[i] = strdup(path)
      return
    }
  }

  static func unregister(_ path: String) {
    lock.lock()
    defer { lock.unlock() }
    for i in 0..<capacity {
      if let p = slots[i], String(cString: p) == path {
        slots[i] = nil
        free(p)
        return
      }
    }
  }

  // MARK: orphans of killed writers

  /// Directories already swept by this process: each is swept once, before its first write.
  nonisolated(unsafe) static var swept: Set<String> = []

  /// The pid in a temporary file's name (`.<name>.tmp-<pid>-<n>`, as AtomicWriter makes them),
  /// nil for any other name.
  static func ownerPID(ofTemporaryName name: String) -> pid_t? {
    guard name.hasPrefix("."), let marker = name.range(of: ".tmp-", options: .backwards),
      marker.lowerBound > name.index(after: name.startIndex)
    else { return nil }
    let parts = name[marker.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
      let pid = pid_t(parts[0]), pid > 0, UInt64(parts[1]) != nil
    else { return nil }
    return pid
  }

  /// Removes from `directory` the temporary files of writers that died without cleaning up
  /// (SIGKILL, a crash, a power cut; SIGTERM and errors clean up themselves): regular files
  /// named like AtomicWriter's, owned by this user, whose pid no longer runs. Once per directory
  /// and process, before its first write, so a killed save's orphan (84 MB once) goes away at
  /// the next write beside it. Returns the names removed.
  @discardableResult
  static func sweepOrphans(in directory: String) -> [String] {
    let dir = directory.isEmpty ? "." : directory
    lock.lock()
    let first = swept.insert(dir).inserted
    lock.unlock()
    guard first, let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
    var removed: [String] = []
    for name in entries {
      guard let pid = ownerPID(ofTemporaryName: name), pid != getpid() else { continue }
      // a pid that runs (or that we may not signal) may be writing it still
      guard kill(pid, 0) != 0 && errno == ESRCH else { continue }
      let path = (dir as NSString).appendingPathComponent(name)
      var st = stat()
      guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == geteuid() else { continue }
      if unlink(path) == 0 { removed.append(name) }
    }
    return removed
  }

  /// The registered paths (tests).
  static var registered: [String] {
    lock.lock()
    defer { lock.unlock() }
    return (0..<capacity).compactMap { slots[$0].map { String(cString: $0) } }
  }

  /// Installs handlers for SIGTERM and SIGHUP that remove the registered files and then die of
  /// the same signal, as the process would have without them. The executable calls this once.
  public static func removeOnTermination() {
    _ = slots // initialised here, never first in the handler
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
