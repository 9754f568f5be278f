import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a file through a temporary file in the same directory and renames it into place, so a
/// reader never sees a half-written file and a failed write leaves any old file untouched.
///
/// The destination is resolved first: a symbolic link is written through (its target is
/// replaced, the link stays), an existing file keeps its permission bits, and a directory, FIFO,
/// device or socket is refused before anything is written (a rename would replace a FIFO or
/// device node with a regular file). Every output of dpq goes through here: tensors, models,
/// indexes, splits, figures, notebook reports, JSON and CSV.
public struct AtomicWriter {
  /// The path as given (error messages name it).
  public let path: String
  /// The file that is replaced: `path` with symbolic links followed.
  let target: String
  private let temporaryPath: String
  private let file: UnsafeMutablePointer<FILE>

  /// Writes `path` with `body`; on any error the temporary file is removed and nothing changes.
  public static func write(_ path: String, _ body: (inout AtomicWriter) throws -> Void) throws {
    var writer = try AtomicWriter(path: path)
    do {
      try body(&writer)
    } catch {
      writer.abandon()
      throw error
    }
    try writer.commit()
  }

  /// Writes `bytes` to `path` atomically.
  public static func write(_ path: String, bytes: [UInt8]) throws { try write(path) { try $0.write(bytes) } }

  /// Writes `text` as UTF-8 to `path` atomically.
  public static func write(_ path: String, text: String) throws { try write(path) { try $0.write(text) } }

  /// Copies the file at `source` to `path` atomically (figures drawn into a scratch directory).
  public static func copy(_ source: String, to path: String) throws {
    guard let input = fopen(source, "rb") else {
      throw DataError.writeFailed(path: path, reason: "cannot read \(source): \(systemError(errno))")
    }
    defer { fclose(input) }
    try write(path) { w in
      var buffer = [UInt8](repeating: 0, count: 1 << 16)
      while true {
        let n = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, input) }
        if n == 0 { break }
        try buffer.withUnsafeBytes { try w.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      }
      if ferror(input) != 0 {
        throw DataError.writeFailed(path: path, reason: "cannot read \(source): \(systemError(errno))")
      }
    }
  }

  /// Refuses a destination that cannot be replaced by a file, before long work starts (an
  /// experiment checks its --json path before it trains). Returns the resolved target.
  @discardableResult
  public static func checkDestination(_ path: String) throws -> String {
    let target = try resolve(path)
    let directory = (target as NSString).deletingLastPathComponent
    guard access(directory.isEmpty ? "." : directory, W_OK) == 0 else {
      throw DataError.writeFailed(
        path: path,
        reason: "the directory \(directory.isEmpty ? "." : directory) is not writable (\(systemError(errno)))")
    }
    return target
  }

  /// `path` with symbolic links followed (up to 40, as the kernel allows); the final target must
  /// be absent or a regular file.
  static func resolve(_ path: String) throws -> String {
    var current = path
    for _ in 0..<40 {
      var st = stat()
      guard lstat(current, &st) == 0 else {
        if errno == ENOENT { return current }
        throw DataError.writeFailed(path: path, reason: systemError(errno))
      }
      switch st.st_mode & S_IFMT {
      case S_IFREG:
        return current
      case S_IFLNK:
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(current, &buffer, buffer.count - 1)
        guard n >= 0 else { throw DataError.writeFailed(path: path, reason: systemError(errno)) }
        let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        current =
          link.hasPrefix("/")
          ? link : ((current as NSString).deletingLastPathComponent as NSString).appendingPathComponent(link)
      case S_IFDIR:
        throw DataError.writeFailed(path: path, reason: "it is a directory")
      default:
        throw DataError.writeFailed(
          path: path, reason: "it is not a regular file (a FIFO, device or socket); dpq writes only regular files")
      }
    }
    throw DataError.writeFailed(path: path, reason: "too many levels of symbolic links")
  }

  private init(path: String) throws {
    self.path = path
    let target = try AtomicWriter.resolve(path)
    self.target = target
    let slash = target.lastIndex(of: "/")
    let directory = slash.map { String(target[...$0]) } ?? ""
    let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
    guard !base.isEmpty else { throw DataError.writeFailed(path: path, reason: "the path names a directory") }
    // what a killed writer left here goes before this write adds its own temporary file
    TemporaryFiles.sweepOrphans(in: slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? ".")
    var rng = SystemRandomNumberGenerator()
    let temporary = "\(directory).\(base).tmp-\(getpid())-\(rng.next() & 0xffff_ffff)"
    // registered before it exists: a SIGTERM just after the open must find it in the registry
    // (the order was the other way round once, and the test's signal, sent as soon as the file
    // appeared, left it behind about one run in five)
    TemporaryFiles.register(temporary)
    // O_EXCL: never write through something that appeared under the temporary name
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
    guard fd >= 0, let f = fdopen(fd, "wb") else {
      let e = errno
      if fd >= 0 {
        close(fd)
        unlink(temporary)
      }
      TemporaryFiles.unregister(temporary)
      throw DataError.writeFailed(path: path, reason: systemError(e))
    }
    temporaryPath = temporary
    file = f
    // the replaced file's permissions (0600 stays 0600); a new file gets 0666 less the umask
    var st = stat()
    if stat(target, &st) == 0 { fchmod(fd, st.st_mode & 0o7777) }
  }

  /// Appends raw bytes.
  public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard bytes.count > 0, let base = bytes.baseAddress else { return }
    if fwrite(base, 1, bytes.count, file) != bytes.count {
      throw DataError.writeFailed(path: path, reason: systemError(errno))
    }
  }

  public mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

  public mutating func write(_ text: String) throws { try write(Array(text.utf8)) }

  // MARK: failure injection (tests)

  private static let injectionLock = NSLock()
  nonisolated(unsafe) private static var injected: [String: Int32] = [:] // guarded by injectionLock

  /// Makes the next writes of `path` fail at flush time with `errno` (nil: stop), so tests reach
  /// the failure path without a full disk.
  static func injectFailure(path: String, errno code: Int32?) {
    injectionLock.lock()
    defer { injectionLock.unlock() }
    injected[path] = code
  }

  private static func injectedFailure(_ path: String) -> Int32? {
    injectionLock.lock()
    defer { injectionLock.unlock() }
    return injected[path]
  }

  /// `DPQ_TEST_HOLD_WRITE=FILE` makes every write stop just before its rename, with its data
  /// flushed to the temporary file, after writing FILE (the temporary path): a test can then
  /// SIGKILL dpq at that exact point, with no timing involved.
  private static let holdMarker: String? = ProcessInfo.processInfo.environment["DPQ_TEST_HOLD_WRITE"]

  /// Flushes, closes and renames; on failure removes the temporary file.
  private func commit() throws {
    defer { TemporaryFiles.unregister(temporaryPath) }
    if let marker = AtomicWriter.holdMarker, !marker.isEmpty {
      fflush(file)
      try? temporaryPath.write(toFile: marker, atomically: false, encoding: .utf8)
      while true { pause() }
    }
    if let code = AtomicWriter.injectedFailure(path) {
      abandon()
      throw DataError.writeFailed(path: path, reason: systemError(code))
    }
    guard fflush(file) == 0, fsync(fileno(file)) == 0 else {
      let e = errno
      abandon()
      throw DataError.writeFailed(path: path, reason: systemError(e))
    }
    guard fclose(file) == 0 else {
      let e = errno
      unlink(temporaryPath)
      throw DataError.writeFailed(path: path, reason: systemError(e))
    }
    guard rename(temporaryPath, target) == 0 else {
      let e = errno
      unlink(temporaryPath)
      throw DataError.writeFailed(path: path, reason: systemError(e))
    }
  }

  private func abandon() {
    fclose(file)
    unlink(temporaryPath)
    TemporaryFiles.unregister(temporaryPath)
  }
}
