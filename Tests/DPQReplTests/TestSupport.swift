import DPQBindings
import DPQLanguage
import Foundation
import Testing

@testable import DPQRepl

/// Paths of the repository, its fixtures and the built `dpq` binary (tests run the binary that
/// the same build made; scripts/test builds everything before it tests).
enum Paths {
  static let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let fixtures = repositoryRoot + "/Tests/DPQReplTests/Fixtures"
  /// The binary of the configuration the tests were built in (scripts/test builds in release).
  #if DEBUG
    static let binary = repositoryRoot + "/.build/debug/dpq"
  #else
    static let binary = repositoryRoot + "/.build/release/dpq"
  #endif

  static func fixture(_ name: String) throws -> String {
    try String(contentsOfFile: fixtures + "/" + name, encoding: .utf8)
  }
}

/// A fresh, empty directory under the system's temporary directory, removed when the test
/// process exits at the latest (a test that hands one to a later step, as a history file reused
/// by a second REPL, cannot remove it when the step that made it ends).
func temporaryDirectory(_ label: String) throws -> String {
  let path = NSTemporaryDirectory() + "dpq-repl-tests-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))"
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  TemporaryDirectories.add(path)
  return path
}

/// The directories `temporaryDirectory` made, removed at exit.
enum TemporaryDirectories {
  nonisolated(unsafe) static var paths: [String] = []
  static let lock = NSLock()
  static let removeAtExit: Void = { atexit { TemporaryDirectories.removeAll() } }()

  static func add(_ path: String) {
    _ = removeAtExit
    lock.lock()
    defer { lock.unlock() }
    paths.append(path)
  }

  static func removeAll() {
    lock.lock()
    defer { lock.unlock() }
    for p in paths { try? FileManager.default.removeItem(atPath: p) }
    paths = []
  }
}

/// What a finished process gave.
struct ProcessResult {
  var status: Int32
  var standardOutput: String
  var standardError: String
}

/// Runs `executable` with `arguments`, feeding `input` to its standard input.
func runProcess(
  _ executable: String, _ arguments: [String], input: String? = nil, directory: String? = nil,
  environment: [String: String] = [:]
) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: executable)
  process.arguments = arguments
  if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
  var env = ProcessInfo.processInfo.environment
  env["DPQ_HISTORY"] = ""
  for (k, v) in environment { env[k] = v }
  process.environment = env
  let stdinPipe = Pipe()
  let stdoutPipe = Pipe()
  let stderrPipe = Pipe()
  process.standardInput = input == nil ? FileHandle.nullDevice : stdinPipe
  process.standardOutput = stdoutPipe
  process.standardError = stderrPipe
  try process.run()
  if let input {
    stdinPipe.fileHandleForWriting.write(Data(input.utf8))
    try stdinPipe.fileHandleForWriting.close()
  }
  // read both pipes to the end before waiting, so a full pipe cannot stall the child
  final class Box: @unchecked Sendable { var data = Data() }
  let out = Box()
  let group = DispatchGroup()
  DispatchQueue.global().async(group: group) { out.data = stdoutPipe.fileHandleForReading.readDataToEndOfFile() }
  let err = stderrPipe.fileHandleForReading.readDataToEndOfFile()
  group.wait()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, standardOutput: String(decoding: out.data, as: UTF8.self),
    standardError: String(decoding: err, as: UTF8.self))
}

/// The built binary, or a recorded issue saying how to build it.
func builtBinary() -> String? {
  guard FileManager.default.isExecutableFile(atPath: Paths.binary) else {
    Issue.record("\(Paths.binary) is missing: run `swift build` before `swift test` (scripts/test does)")
    return nil
  }
  return Paths.binary
}

/// A REPL over scripted lines, with its output and errors collected.
struct ScriptedRepl {
  let repl: Repl
  let editor: ScriptedLineEditor
  let output: StringOutputSink
  let errors: StringOutputSink

  init(_ lines: [LineInput]) {
    output = StringOutputSink()
    errors = StringOutputSink()
    editor = ScriptedLineEditor(lines)
    let session = ScriptSession(output: output)
    repl = Repl(session: session, editor: editor, output: output, errors: errors)
  }

  init(lines: [String]) { self.init(lines.map { .line($0) }) }

  /// Runs the REPL over all the lines and returns (output, errors).
  func run() -> (String, String) {
    repl.run()
    return (output.text, errors.text)
  }
}

/// Runs `executable` with posix_spawn and waits with waitpid, returning its status and standard
/// output (standard error is discarded). Unlike `Process`, whose end is detected when every
/// holder of an inherited descriptor has closed it, this returns when the child itself exits,
/// even if it started a daemon (tmux's server) that keeps descriptors open.
func spawnAndWait(_ executable: String, _ arguments: [String], captureOutput: Bool) throws -> ProcessResult {
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  defer { posix_spawn_file_actions_destroy(&actions) }
  var fds: [Int32] = [-1, -1]
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  if captureOutput {
    guard pipe(&fds) == 0 else { throw CocoaError(.fileWriteUnknown) }
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addclose(&actions, fds[1])
  } else {
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
  }
  let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
  defer { for p in argv { free(p) } }
  // A test runs on a worker thread that blocks most signals, and a child inherits the mask:
  // give it a clean one, as a terminal would.
  var attributes = posix_spawnattr_t()
  posix_spawnattr_init(&attributes)
  defer { posix_spawnattr_destroy(&attributes) }
  var empty = sigset_t()
  var all = sigset_t()
  sigemptyset(&empty)
  sigfillset(&all)
  posix_spawnattr_setsigmask(&attributes, &empty)
  posix_spawnattr_setsigdefault(&attributes, &all)
  posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
  var pid: pid_t = 0
  let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
  if captureOutput { close(fds[1]) }
  guard spawned == 0 else {
    if captureOutput { close(fds[0]) }
    throw CocoaError(.executableLoad)
  }
  var output = Data()
  if captureOutput {
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = read(fds[0], &buffer, buffer.count)
      if n > 0 { output.append(contentsOf: buffer[0..<n]) } else if n == 0 || errno != EINTR { break }
    }
    close(fds[0])
  }
  var status: Int32 = 0
  while waitpid(pid, &status, 0) < 0, errno == EINTR {}
  let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
  return ProcessResult(status: exitStatus, standardOutput: String(decoding: output, as: UTF8.self), standardError: "")
}
