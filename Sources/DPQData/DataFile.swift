import CZlib

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A read-only data file, plain or gzip-compressed, that knows how much data it can still hold.
///
/// Readers ask `checkAvailable` before they allocate a buffer for what a header declares: for a
/// plain file the rest of the file is known exactly; for a gzip file the decompressed size is only
/// known at the end, so the bound is deflate's maximum expansion (about 1032:1), and the read
/// itself refuses a stream that ends early (`readExactly`) or runs on past the data (`checkEnd`).
final class DataFile {
  let path: String
  /// Size on disk in bytes.
  let fileSize: Int
  /// Whether the file starts with the gzip magic bytes 1f 8b.
  let isCompressed: Bool
  /// Bytes consumed so far (decompressed bytes for a gzip file).
  private(set) var position = 0
  private let handle: gzFile

  /// Deflate cannot expand data by more than 1032:1; a header declaring more is lying.
  static let maxDeflateRatio = 1032

  /// Opens `path`; `hint` is shown if the file does not exist (e.g. which package provides it).
  init(path: String, hint: String = "") throws {
    self.path = path
    var st = stat()
    guard stat(path, &st) == 0 else {
      let e = errno
      if e == ENOENT { throw DataError.missing(path: path, hint: hint) }
      throw DataError.unreadable(path: path, reason: systemError(e))
    }
    switch st.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw DataError.unreadable(path: path, reason: "it is a directory, not a file")
    default: throw DataError.unreadable(path: path, reason: "not a regular file")
    }
    fileSize = Int(st.st_size)
    guard fileSize > 0 else { throw DataError.empty(path: path) }

    // Sniff the gzip magic ourselves: zlib would silently read a non-gzip ".gz" file as plain.
    guard let f = fopen(path, "rb") else { throw DataError.unreadable(path: path, reason: systemError(errno)) }
    var magic: [UInt8] = [0, 0]
    let n = fread(&magic, 1, 2, f)
    fclose(f)
    isCompressed = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b
    if path.hasSuffix(".gz") && !isCompressed {
      throw DataError.notGzip(path: path, found: hexString(magic.prefix(n)))
    }
    guard let g = gzopen(path, "rb") else { throw DataError.unreadable(path: path, reason: systemError(errno)) }
    gzbuffer(g, 1 << 17) // larger than zlib's 8 KiB default: fewer read calls on big files
    handle = g
  }

  deinit { gzclose(handle) }

  /// The most bytes the rest of the file can hold: exact for a plain file, a bound for gzip.
  var remainingBound: Int {
    if !isCompressed { return fileSize - position }
    let (total, overflow) = fileSize.multipliedReportingOverflow(by: DataFile.maxDeflateRatio)
    return overflow ? Int.max : Swift.max(0, total - position)
  }

  /// Refuses, before anything is allocated, a request for `count` more bytes the file cannot hold.
  /// `detail` says what asks for them, e.g. "header says 10000 images of 28x28".
  func checkAvailable(_ count: Int, detail: String) throws {
    let (end, overflow) = position.addingReportingOverflow(count)
    if isCompressed {
      if overflow || count > remainingBound {
        throw DataError.lyingHeader(
          path: path,
          reason: "\(detail) (\(overflow ? Int.max : end) bytes), more than a gzip file of \(fileSize) bytes can hold")
      }
    } else if overflow || end > fileSize {
      throw DataError.truncated(
        path: path, expected: overflow ? Int.max : end, actual: fileSize, detail: detail, decompressed: false)
    }
  }

  /// Reads up to `count` bytes; fewer only at the end of the data. Throws on corrupt gzip data.
  func read(into buffer: UnsafeMutableRawPointer, count: Int) throws -> Int {
    var done = 0
    while done < count {
      let chunk = Swift.min(count - done, 1 << 30)
      let r = gzread(handle, buffer + done, UInt32(chunk))
      if r <= 0 { break }
      done += Int(r)
    }
    if done < count {
      var code: Int32 = 0
      let message = gzerror(handle, &code).map { String(cString: $0) } ?? "unknown error"
      // Z_BUF_ERROR is a stream cut short: the caller reports it as truncation with its context.
      if code == Z_ERRNO {
        throw DataError.unreadable(path: path, reason: systemError(errno))
      } else if code != Z_OK && code != Z_BUF_ERROR {
        throw DataError.corruptGzip(path: path, reason: message)
      }
    }
    position += done
    return done
  }

  /// Reads exactly `count` bytes into `buffer`, after checking the file can hold them.
  func readExactly(into buffer: UnsafeMutableRawPointer, count: Int, detail: String) throws {
    try checkAvailable(count, detail: detail)
    let start = position
    let got = try read(into: buffer, count: count)
    if got < count {
      throw DataError.truncated(
        path: path, expected: start + count, actual: start + got, detail: detail,
        decompressed: isCompressed)
    }
  }

  /// Reads exactly `count` bytes in pieces of at most `chunkSize`, handing each piece and its
  /// offset to `body`: callers convert while the piece is in cache instead of keeping the bytes.
  func readChunked(
    _ count: Int, detail: String, chunkSize: Int = 1 << 16,
    _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
  ) throws {
    try checkAvailable(count, detail: detail)
    let start = position
    let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkSize)
    defer { scratch.deallocate() }
    var done = 0
    while done < count {
      let want = Swift.min(chunkSize, count - done)
      let got = try read(into: scratch, count: want)
      try body(UnsafeBufferPointer(start: scratch, count: got), done)
      done += got
      if got < want {
        throw DataError.truncated(
          path: path, expected: start + count, actual: start + done, detail: detail,
          decompressed: isCompressed)
      }
    }
  }

  /// Reads exactly `count` bytes into a fresh array, after checking the file can hold them.
  func readBytes(_ count: Int, detail: String) throws -> [UInt8] {
    try checkAvailable(count, detail: detail)
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialised in
      initialised = 0
      if count > 0, let base = buffer.baseAddress { try readExactly(into: base, count: count, detail: detail) }
      initialised = count
    }
  }

  /// Reads everything that is left, refusing more than `limit` bytes (for formats without a size
  /// header: text, record files). A plain file is read in one allocation of its exact size.
  func readAll(limit: Int, what: String) throws -> [UInt8] {
    if !isCompressed {
      guard fileSize - position <= limit else {
        throw DataError.tooLarge(path: path, reason: "\(fileSize) bytes, more than the \(limit) dpq reads as \(what)")
      }
      return try readBytes(fileSize - position, detail: what)
    }
    var bytes: [UInt8] = []
    let chunk = 1 << 20
    while true {
      let old = bytes.count
      guard old <= limit else {
        throw DataError.tooLarge(
          path: path, reason: "it decompresses to more than the \(limit) bytes dpq reads as \(what)")
      }
      var got = 0
      bytes.append(contentsOf: repeatElement(0, count: chunk)) // grows geometrically
      try bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress { got = try read(into: base + old, count: chunk) }
      }
      bytes.removeLast(chunk - got)
      if got < chunk { break }
    }
    try checkEnd(detail: what)
    return bytes
  }

  /// Refuses data past what the header declared: the file must end exactly here.
  /// `detail` describes the declared content, e.g. "header says 10000 labels".
  func checkEnd(detail: String) throws {
    if !isCompressed {
      if position < fileSize {
        throw DataError.lyingHeader(
          path: path, reason: "\(detail) (\(position) bytes) but the file has \(fileSize) bytes")
      }
      return
    }
    // Reading past the data also makes zlib check the gzip trailer (CRC-32 and length).
    var byte: UInt8 = 0
    if try read(into: &byte, count: 1) > 0 {
      throw DataError.lyingHeader(
        path: path, reason: "\(detail) (\(position - 1) bytes) but the decompressed data is longer")
    }
    var code: Int32 = 0
    _ = gzerror(handle, &code)
    if code == Z_BUF_ERROR {
      throw DataError.corruptGzip(
        path: path, reason: "the stream ends before its gzip trailer (the file was cut short)")
    }
  }
}

/// The message for an errno value.
func systemError(_ code: Int32) -> String { String(cString: strerror(code)) }
