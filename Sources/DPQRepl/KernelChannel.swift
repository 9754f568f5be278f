import CReadline
import Foundation

/// The pipe of `dpq kernel-server`: JSON requests, one a line, on standard input; JSON messages,
/// one a line, on a private copy of standard output.
///
/// Standard output itself (file descriptor 1) is pointed at standard error when the channel
/// opens, so that nothing else the process prints (a library's stray `print`, gnuplot's
/// chatter) can corrupt the protocol: only `send` writes to the pipe the kernel reads.
final class KernelChannel: @unchecked Sendable {
  private let output: Int32
  /// The descriptor messages go to (a copy of the original standard output).
  var outputDescriptor: Int32 { output }
  private let lock = NSLock()
  private var pending = Data()

  /// Takes over standard output; call once, before anything else writes to it.
  init() {
    fflush(dpq_stdout())
    output = dup(STDOUT_FILENO)
    dup2(STDERR_FILENO, STDOUT_FILENO)
  }

  /// Writes one message as a line. Messages come from the cell's thread and the main thread, so
  /// writes are serialised; a closed pipe (the kernel went away) is ignored, SIGPIPE is off.
  func send(_ message: [String: Any]) {
    guard var data = try? JSONSerialization.data(withJSONObject: message, options: [.sortedKeys]) else { return }
    data.append(0x0A)
    lock.lock()
    defer { lock.unlock() }
    data.withUnsafeBytes { raw in
      var offset = 0
      while offset < raw.count {
        let n = write(output, raw.baseAddress! + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
      }
    }
  }

  /// The next request line, or nil at the end of input. A read interrupted by SIGINT (an
  /// interrupt that came while no cell ran) is retried: it has nothing to stop.
  func readLine() -> String? {
    while true {
      if let newline = pending.firstIndex(of: 0x0A) {
        let line = pending[pending.startIndex..<newline]
        pending = Data(pending[(newline + 1)...])
        return String(decoding: line, as: UTF8.self)
      }
      var buffer = [UInt8](repeating: 0, count: 65536)
      let n = read(STDIN_FILENO, &buffer, buffer.count)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        guard !pending.isEmpty else { return nil }
        defer { pending = Data() }
        return String(decoding: pending, as: UTF8.self)
      }
      pending.append(contentsOf: buffer[0..<n])
    }
  }
}
