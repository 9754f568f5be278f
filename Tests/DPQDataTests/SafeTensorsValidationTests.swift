import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// The safetensors reader trusts nothing before it has checked it (issue 12): the header length
/// against the file size, then the header, then bounded reads; tensors must be integer-shaped,
/// back to back, with no trailing bytes; dpq's per-tensor checksums catch a flipped bit.
@Suite struct SafeTensorsValidationTests {
  /// A file of a hand-written header and data section.
  func file(_ header: String, _ data: [UInt8]) -> [UInt8] {
    let h = Array(header.utf8)
    return (0..<8).map { UInt8(truncatingIfNeeded: h.count >> (8 * $0)) } + h + data
  }

  func refused(_ bytes: [UInt8], _ fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let dir = try TemporaryDirectory()
    let path = try dir.write("t.safetensors", bytes)
    expectDataError(path, fragments, sourceLocation: sourceLocation) { _ = try SafeTensors.read(path) }
    expectDataError(nil, fragments, sourceLocation: sourceLocation) {
      _ = try SafeTensors.decode(bytes, path: "t.safetensors")
    }
  }

  @Test func aFileWithoutChecksumsLoads() throws {
    let dir = try TemporaryDirectory()
    let path = try dir.write("py.safetensors", file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, [7, 9]))
    #expect(try SafeTensors.read(path).entry("a")?.bytes == [7, 9])
  }

  @Test func trailingBytesOverlapsGapsAndFractionalShapesAreRefused() throws {
    try refused(file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, [1, 2, 3]), ["1 trailing bytes"])
    try refused(
      file(
        #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#,
        [1, 2, 3]),
      ["overlap"])
    try refused(
      file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#, [1, 2, 3]), ["leaving bytes 0..<1 unused"])
    try refused(file(#"{"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,2]}}"#, [1, 2]), ["malformed shape"])
    try refused(file(#"{"a":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}"#, [1]), ["malformed shape"])
    try refused(file(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2.0000001]}}"#, [1, 2]), ["malformed shape"])
  }

  @Test func aFlippedBitIsCaughtByTheChecksum() throws {
    let t = Tensor([1, 2, 3, 4])
    var bytes = try SafeTensors(entries: [.init(name: "w", tensor: t)], metadata: ["k": "v"]).encoded()
    let back = try SafeTensors.decode(bytes, path: "ok.safetensors")
    #expect(back.metadata == ["k": "v"]) // the checksums are dpq's own, not the caller's metadata
    #expect(try back.tensor("w").scalars == [1, 2, 3, 4])
    bytes[bytes.count - 3] ^= 0x10
    try refused(bytes, ["'w'", "is corrupt: its CRC-32"])
  }

  /// The header length is checked against the file before anything else is read: a 3 GB sparse
  /// file whose header length is larger than the file is refused without reading it.
  @Test func aHugeFileWithABogusHeaderIsRefusedWithoutReadingIt() throws {
    let dir = try TemporaryDirectory()
    let path = dir.path + "/sparse.safetensors"
    let fd = open(path, O_CREAT | O_WRONLY, 0o644)
    let length: [UInt8] = [0xff, 0xff, 0xff, 0x05, 0, 0, 0, 0] // 100,663,295 bytes of "JSON"
    _ = length.withUnsafeBytes { write(fd, $0.baseAddress, 8) }
    #expect(ftruncate(fd, 3 << 30) == 0)
    close(fd)
    let start = Date()
    expectDataError(path, ["header length 100663295 exceeds"]) { _ = try SafeTensors.read(path) }
    // 1e8 within the reference's limit but not JSON: one header read of 100 MB, not 3 GB
    let fd2 = open(path, O_WRONLY)
    let small: [UInt8] = [0x00, 0xe1, 0xf5, 0x05, 0, 0, 0, 0] // 100,000,000
    _ = small.withUnsafeBytes { pwrite(fd2, $0.baseAddress, 8, 0) }
    close(fd2)
    expectDataError(path, ["header is not a JSON object"]) { _ = try SafeTensors.read(path) }
    #expect(Date().timeIntervalSince(start) < 10)
  }
}

extension SafeTensorsValidationTests {
  /// Another writer that copies dpq's metadata (with its checksums) but lays the tensors out in
  /// its own order: the stale checksums are not applied, the file loads.
  @Test func staleChecksumsFromAnotherWritersLayoutAreNotApplied() throws {
    let a = SafeTensors.Entry(name: "b", tensor: Tensor([1, 2]))
    let b = SafeTensors.Entry(name: "a", tensor: Tensor([3]))
    let meta = try SafeTensors(entries: [a, b]).metadataWithChecksums()
    // the other writer: names sorted, new values, dpq's metadata copied verbatim
    let other = SafeTensors(
      entries: [.init(name: "a", tensor: Tensor([9])), .init(name: "b", tensor: Tensor([7, 8]))], metadata: meta)
    var header: [String: Any] = ["__metadata__": meta]
    var offset = 0
    for e in other.entries {
      header[e.name] = ["dtype": "F32", "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
      offset += e.bytes.count
    }
    let json = String(decoding: try JSONSerialization.data(withJSONObject: header), as: UTF8.self)
    let loaded = try SafeTensors.decode(file(json, other.entries.flatMap(\.bytes)), path: "py.safetensors")
    #expect(try loaded.tensor("b").scalars == [7, 8])
  }
}
