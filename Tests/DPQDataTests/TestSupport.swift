import CZlib
import Foundation
import Testing

@testable import DPQData

/// A fresh temporary directory, removed when the value is released.
final class TemporaryDirectory {
  let path: String

  init() throws {
    path = NSTemporaryDirectory() + "dpq-data-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }

  /// Writes `bytes` to `name` in the directory and returns the full path.
  @discardableResult
  func write(_ name: String, _ bytes: [UInt8]) throws -> String {
    let p = path + "/" + name
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
  }

  @discardableResult
  func write(_ name: String, text: String) throws -> String { try write(name, Array(text.utf8)) }

  /// Writes `bytes` gzip-compressed to `name`.
  @discardableResult
  func writeGzip(_ name: String, _ bytes: [UInt8]) throws -> String {
    try write(name, gzip(bytes))
  }
}

/// `bytes` compressed as one gzip member, by zlib's deflate with a gzip wrapper.
func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
  var stream = z_stream()
  let windowBits: Int32 = 15 + 16 // +16: gzip header and trailer instead of zlib's
  guard
    deflateInit2_(
      &stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
      ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
  else {
    throw DataError.invalidArgument(op: "gzip", reason: "deflateInit2 failed")
  }
  defer { deflateEnd(&stream) }
  var input = bytes
  var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 64)
  let produced: Int = input.withUnsafeMutableBufferPointer { inp in
    output.withUnsafeMutableBufferPointer { out in
      stream.next_in = inp.baseAddress
      stream.avail_in = UInt32(inp.count)
      stream.next_out = out.baseAddress
      stream.avail_out = UInt32(out.count)
      _ = deflate(&stream, Z_FINISH)
      return out.count - Int(stream.avail_out)
    }
  }
  return Array(output[0..<produced])
}

/// Big-endian bytes of a 32-bit value, for IDX headers.
func bigEndian32(_ v: Int) -> [UInt8] {
  [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)]
}

/// An unsigned-byte IDX file with the given dimensions and values.
func idxBytes(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
  [0, 0, 8, UInt8(dimensions.count)] + dimensions.flatMap(bigEndian32) + values
}

/// Runs `body`, requires it to throw a `DataError`, and checks that the message names the file
/// (its last path component) and contains every fragment.
@discardableResult
func expectDataError(
  _ path: String?, _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () throws -> Void
) -> DataError? {
  do {
    try body()
    Issue.record("expected an error mentioning \(fragments)", sourceLocation: sourceLocation)
    return nil
  } catch let error as DataError {
    let message = error.description
    if let path {
      let name = path.split(separator: "/").last.map(String.init) ?? path
      #expect(message.contains(name), "message does not name \(name): \(message)", sourceLocation: sourceLocation)
    }
    for f in fragments {
      #expect(message.contains(f), "message lacks \"\(f)\": \(message)", sourceLocation: sourceLocation)
    }
    return error
  } catch {
    Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
    return nil
  }
}

/// Whether the interop tests were skipped on purpose (DPQ_SKIP_INTEROP=1); without it they fail
/// when their Python environment is missing.
let skipInterop = ProcessInfo.processInfo.environment["DPQ_SKIP_INTEROP"] == "1"

/// Runs a program and returns its exit status and standard output.
func runCommand(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  let pipe = Pipe()
  process.standardOutput = pipe
  process.standardError = FileHandle.nullDevice
  try process.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

enum FileManagerBridge {
  static func createDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
}
