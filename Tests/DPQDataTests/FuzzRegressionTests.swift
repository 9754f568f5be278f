import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// Replays the inputs the fuzz targets (Fuzz/, scripts/fuzz) once failed on: each file in
/// Fuzz/Regressions/TARGET goes through the same entry point as its harness, and must be read or
/// refused with a message naming the file (docs/robustness.md).
@Suite struct FuzzRegressionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../Fuzz/Regressions").standardized.path

  static func inputs(_ target: String) -> [String] {
    let dir = root + "/" + target
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
  }

  static var all: [String] { ["idx", "cifar", "npy", "vecs", "csv", "safetensors"].flatMap(inputs) }

  /// Runs one input as its harness does (the first byte picks the mode where the harness says so).
  func replay(_ input: String) throws {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: input)))
    let target = URL(fileURLWithPath: input).deletingLastPathComponent().lastPathComponent
    let dir = try TemporaryDirectory()
    let mode = bytes.first ?? 0
    let rest = Array(bytes.dropFirst())
    func refused(_ body: () throws -> Void, naming path: String) {
      do { try body() } catch {
        if case DataError.invalidArgument = error { return }
        #expect("\(error)".contains(path), "\(input): \(error)")
      }
    }
    switch target {
    case "idx":
      let path = try dir.write("file-idx", rest)
      refused({ _ = try IDXFile.read(path) }, naming: path)
    case "cifar":
      let path = try dir.write("data_batch_1.bin", bytes)
      refused({ _ = try CIFAR10.load(files: [path]) }, naming: path)
    case "npy":
      let path = try dir.write("array.npy", rest)
      refused(
        {
          _ = try NPY.read(path)
          _ = try NPY.readTensor(path)
        }, naming: path)
    case "vecs":
      let path = try dir.write(["base.fvecs", "base.bvecs", "gt.ivecs", "gt.ivecs"][Int(mode % 4)], rest)
      refused(
        {
          switch mode % 4 {
          case 0: _ = try Vecs.readFvecs(path)
          case 1: _ = try Vecs.readBvecs(path)
          default: _ = try Vecs.readIvecs(path)
          }
        }, naming: path)
    case "csv":
      let path = try dir.write("table.csv", rest)
      let column: CSV.LabelColumn = mode & 3 == 3 ? .name("label") : .index(Int(mode & 3) - 1)
      let header: Bool? = [nil, true, false, nil][Int(mode >> 2) & 3]
      refused(
        { _ = try CSV.load(path, labelColumn: column, hasHeader: header, separator: mode & 16 != 0 ? ";" : ",") },
        naming: path)
    default:
      refused(
        {
          let file = try SafeTensors.decode(bytes, path: "fuzz.safetensors")
          for e in file.entries {
            _ = try? file.tensor(e.name)
            _ = try? file.integers(e.name)
          }
        }, naming: "fuzz.safetensors")
    }
  }

  @Test func aHugeIntegerLabelIsRefusedBeforeAllocatingItsClasses() throws {
    // found by the csv target: label 277777777777777104 asked for that many class names, and
    // Int.max overflowed counting them
    let dir = try TemporaryDirectory()
    for label in ["277777777777777104", "9223372036854775807", "65536"] {
      let path = try dir.write("t.csv", text: "1.0,\(label)\n2.0,0\n")
      do {
        _ = try CSV.load(path, labelColumn: .index(-1))
        Issue.record("label \(label) accepted")
      } catch {
        #expect(
          "\(error)"
            == "\(path):1: label \(label) is too large for a class number (at most 65536 classes); pass the class names, or use text labels"
        )
      }
    }
    let ok = try dir.write("ok.csv", text: "1.0,65535\n")
    #expect(try CSV.load(ok, labelColumn: .index(-1)).classCount == 65_536)
  }

  @Test func everyKeptInputIsReadOrRefusedClearly() throws {
    let inputs = FuzzRegressionTests.all
    #expect(!inputs.isEmpty, "no inputs under \(FuzzRegressionTests.root)")
    for input in inputs { try replay(input) }
  }
}
