import Foundation

/// The faiss side of `dpq bench scale`: scripts/peers/faiss_scale.py run in the project's Python,
/// in the same run as the dpq side, on the index file and queries the dpq side wrote.
struct ScalePeer {
  let python: String
  let script: String

  /// The first Python that imports faiss and numpy: `explicit` (--python), then $PYTHON, then the
  /// project's .venv-bench and .venv (the ones scripts/export-faiss tries); the reason if none does.
  static func find(explicit: String?, root: String) -> (peer: ScalePeer?, problem: String?) {
    let script = (root as NSString).appendingPathComponent("scripts/peers/faiss_scale.py")
    guard FileManager.default.fileExists(atPath: script) else {
      return (nil, "no \(script) (run from the dpq source tree)")
    }
    var candidates: [String] = []
    if let explicit { candidates.append(explicit) }
    if let env = ProcessInfo.processInfo.environment["PYTHON"], !env.isEmpty { candidates.append(env) }
    candidates += [".venv-bench/bin/python", ".venv/bin/python"].map { (root as NSString).appendingPathComponent($0) }
    for python in candidates where FileManager.default.isExecutableFile(atPath: python) {
      if (try? run(python, ["-c", "import faiss, numpy"]))?.status == 0 {
        return (ScalePeer(python: python, script: script), nil)
      }
    }
    return (nil, "no Python with faiss and numpy (tried \(candidates.joined(separator: ", "))); run scripts/setup")
  }

  /// Runs the peer with `arguments`; returns its measurements, or throws with its error output.
  func measure(_ arguments: [String]) throws -> [[String: Any]] {
    let out = try ScalePeer.run(python, [script] + arguments)
    guard out.status == 0 else {
      throw PeerError.failed("faiss_scale.py exited \(out.status): \(String(out.stderr.suffix(600)))")
    }
    guard let line = out.stdout.split(separator: "\n").last,
      let doc = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let results = doc["results"] as? [[String: Any]]
    else {
      throw PeerError.failed("faiss_scale.py printed no JSON document: \(String(out.stdout.suffix(300)))")
    }
    return results
  }

  enum PeerError: Error, CustomStringConvertible {
    case failed(String)
    var description: String {
      if case .failed(let s) = self { return s }
      return ""
    }
  }

  /// Runs a program to completion, keeping its standard error so that a failure can be reported
  /// with it.
  static func run(_ exe: String, _ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let out = Pipe()
    let err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    // Read both pipes concurrently so that neither fills up and blocks the child.
    final class Box: @unchecked Sendable { var data = Data() }
    let errors = Box()
    let group = DispatchGroup()
    DispatchQueue.global().async(group: group) { errors.data = err.fileHandleForReading.readDataToEndOfFile() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errors.data, as: UTF8.self))
  }
}
