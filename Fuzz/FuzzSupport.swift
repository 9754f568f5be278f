// Shared by every fuzz target (compiled into each binary by scripts/fuzz, not part of the package).
import DPQData
import Foundation

/// A private scratch directory per process, on tmpfs when there is one.
let fuzzDirectory: String = {
  let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
  let dir = "\(base)/dpq-fuzz-\(getpid())"
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  atexit {
    try? FileManager.default.removeItem(
      atPath:
        "\(FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())/dpq-fuzz-\(getpid())"
    )
  }
  return dir
}()

/// Writes `bytes` to a scratch file named `name` and returns its path (overwritten per input).
func scratchFile(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
  let path = "\(fuzzDirectory)/\(name)"
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
  require(fd >= 0, "cannot write the fuzz scratch file \(path)")
  var done = 0
  while done < bytes.count {
    let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
    require(n > 0)
    done += n
  }
  close(fd)
  return path
}

/// A failed property is a finding: its message goes to stderr (precondition messages are dropped
/// in optimised builds) and the process aborts so libFuzzer keeps the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String = "a property of the result does not hold") {
  guard !condition else { return }
  FileHandle.standardError.write(Data("FINDING: \(message())\n".utf8))
  abort()
}

/// A refusal must say what is wrong: a non-empty message that names the file (when `path` is given).
/// Anything else is a finding.
func checkRefusal(_ error: Error, path: String? = nil) {
  let message = String(describing: error)
  require(!message.isEmpty, "an error with an empty message: \(type(of: error))")
  // an argument the harness chose (not the file) is at fault: no file to name
  if case DataError.invalidArgument = error { return }
  if let path {
    require(message.contains(path), "the message does not name the file: \(message)")
  }
}
