import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file through a temporary file in the same directory and renames it into place, so a
/// reader never sees a half-written file and a failed write leaves any old file untouched.
struct AtomicWriter {
  let path: String
  private let temporaryPath: String
  private let file: UnsafeMutablePointer<FILE>

  /// Writes `path` with `body`; on any error the temporary file is removed and nothing changes.
  static func write(_ path: String, _ body: (inout AtomicWriter) throws -> Void) throws {
    var writer = try AtomicWriter(path: path)
    do {
      try body(&writer)
    } catch {
      writer.abandon()
      throw error
    }
    try writer.commit()
  }

  private init(path: String) throws {
    self.path = path
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    guard !base.isEmpty else { throw DataError.writeFailed(path: path, reason: "the path names a directory") }
    var rng = SystemRandomNumberGenerator()
    temporaryPath = "\(directory).\(base).tmp-\(getpid())-\(rng.next() & 0xffff_ffff)"
    guard let f = fopen(temporaryPath, "wb") else {
      throw DataError.writeFailed(path: path, reason: systemError(errno))
    }
    file = f
  }

  /// Appends raw bytes.
  mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
    guard bytes.count > 0, let base = bytes.baseAddress else { return }
    if fwrite(base, 1, bytes.count, file) != bytes.count {
      throw DataError.writeFailed(path: path, reason: systemError(errno))
    }
  }

  mutating func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

  mutating func write(_ text: String) throws { try write(Array(text.utf8)) }

  // MARK: failure injection (tests)

  private static let injectionLock = NSLock()
  private static var injected: [String: Int32] = [:]

  /// Makes the next writes of `path` fail at flush time with `errno` (nil: stop), so tests reach
  /// the failure path without a full disk.
  static func injectFailure(path: String, errno code: Int32?) {
    injectionLock.lock(); defer { injectionLock.unlock() }
    injected[path] = code
  }

  private static func injectedFailure(_ path: String) -> Int32? {
    injectionLock.lock(); defer { injectionLock.unlock() }
    return injected[path]
  }

  /// Flushes, closes and renames; on failure removes the temporary file.
  private func commit() throws {
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
      unlink(temporaryPath)
      throw DataError.writeFailed(path: path, reason: systemError(errno))
    }
    guard rename(temporaryPath, path) == 0 else {
      let e = errno
      unlink(temporaryPath)
      throw DataError.writeFailed(path: path, reason: systemError(e))
    }
  }

  private func abandon() {
    fclose(file)
    unlink(temporaryPath)
  }
}
