import DPQBindings
import DPQLanguage
import Foundation

/// `dpq bench repl`: the two figures issue 4 asks of the language.
///
/// - start-up: wall time from spawning `dpq` on a pseudo-terminal to its first `dpq> ` prompt,
///   over `--startup-runs` runs (the process this command runs, so build with -c release);
/// - interpreter overhead: DPQ training written as a loop in the language against the same
///   training through the built-in `train`: the same model (LeNet, D = 300, M = 4, K = 256),
///   data (`--images` uniform random 28x28 images, seeded), epochs, batch (`--batch`), seed and
///   objective (stage 2 from the first step, random codebook start, SGD with momentum, weight
///   decay and cosine decay on the network, Adam on the codebooks), run alternately `--runs`
///   times each after one untimed round. Only the training is timed (wall and CPU time; on a
///   shared machine `--threads 1` and the CPU figures are the steadier).
extension BenchCommand {
  func benchRepl() throws {
    let startup = try measureStartup(runs: startupRuns)
    print(
      String(
        format: "REPL start-up to prompt: median %.1f ms over %d runs (min %.1f, max %.1f)",
        Stopwatch.median(startup) * 1e3, startup.count, startup.first! * 1e3, startup.last! * 1e3))
    let (builtin, language) = try measureOverhead()
    let images = Double(self.images * replEpochs)
    func row(_ name: String, _ t: [Timing]) -> [String] {
      let wall = Stopwatch.median(t.map(\.wall).sorted())
      let cpu = Stopwatch.median(t.map(\.cpu).sorted())
      return [
        name, String(format: "%.3f s", wall), String(format: "%.3f s", cpu), String(format: "%.0f", images / wall),
        "\(t.count)",
      ]
    }
    printTable(
      header: [
        "training (\(self.images) images x \(replEpochs) epochs, batch \(batch))", "median wall", "median CPU",
        "images/s", "runs",
      ],
      rows: [row("built-in train(...)", builtin), row("loop in the language", language)])
    let wall = Stopwatch.median(language.map(\.wall).sorted()) / Stopwatch.median(builtin.map(\.wall).sorted())
    let cpu = Stopwatch.median(language.map(\.cpu).sorted()) / Stopwatch.median(builtin.map(\.cpu).sorted())
    let pairs = zip(language, builtin).map { $0.cpu / $1.cpu }.sorted()
    print(
      String(
        format:
          "interpreter overhead, language / built-in: wall %.4f (%+.2f%%), CPU %.4f (%+.2f%%), median of per-round CPU ratios %.4f",
        wall, (wall - 1) * 100, cpu, (cpu - 1) * 100, Stopwatch.median(pairs)))
  }

  static let replEpochsDefault = 2
  var replEpochs: Int { Self.replEpochsDefault }

  /// The setup both sides share (untimed): data and a fresh model, both seeded.
  func overheadSetup() -> String {
    """
    d = dataset(rand([\(images), 1, 28, 28], seed: 3), map(range(\(images)), fn(i) => i % 10))
    m = dpq(seed: 1)
    c = m.config
    """
  }

  /// The built-in trainer, stage 2 from the first step.
  func builtinTraining() -> String {
    """
    train(m, d, epochs: \(replEpochs), batch: \(batch), warmup: 0, init: "random", seed: 1)
    """
  }

  /// The same objective, optimizers and schedule as the trainer, written in the language.
  func languageTraining() -> String {
    """
    network = sgd(m.network.parameters(), lr: 0.01, momentum: 0.9, weight_decay: 0.0005)
    books = adam(filter(m.parameters(), fn(p) => p.name.starts_with("codebooks")), lr: 0.001)
    schedule = cosine_lr(network, total_steps: \(replEpochs))
    batches = d.batches(\(batch), seed: 1)
    m.train()
    for epoch in range(\(replEpochs)) {
      total = 0
      for b in batches {
        l = m.losses(b.features, b.labels)
        loss = l.classification + (l.soft + l.hard * c.mu + l.joint * c.nu) * (c.tau / c.lambda)
        network.zero_grad()
        books.zero_grad()
        loss.backward()
        network.step()
        books.step()
        total += loss.item() * len(b.labels)
      }
      schedule.step()
    }
    m.eval()
    """
  }

  /// Wall and CPU (user + system, all threads) seconds of one run.
  struct Timing {
    var wall: Double
    var cpu: Double
  }

  static func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
      getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
      getrusage(RUSAGE_SELF, &usage)
    #endif
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
  }

  /// Runs the setup untimed and then the training in a fresh session; times the training.
  func timedScript(_ training: String, name: String) throws -> Timing {
    final class Discard: OutputSink { func write(_ text: String) {} }
    let session = ScriptSession(output: Discard())
    if case .failure(let error) = session.run(source: overheadSetup(), file: "setup.dpq") {
      throw BenchError.script(name: "setup.dpq", message: error.description)
    }
    let wall0 = Stopwatch.now()
    let cpu0 = Self.cpuSeconds()
    let result = session.run(source: training, file: name)
    let timing = Timing(wall: Stopwatch.now() - wall0, cpu: Self.cpuSeconds() - cpu0)
    if case .failure(let error) = result { throw BenchError.script(name: name, message: error.description) }
    return timing
  }

  /// One untimed round, then `runs` rounds alternating which side goes first.
  func measureOverhead() throws -> ([Timing], [Timing]) {
    var builtin: [Timing] = []
    var language: [Timing] = []
    for round in 0...runs {
      let order = round % 2 == 0 ? [true, false] : [false, true]
      for isBuiltin in order {
        let t =
          isBuiltin
          ? try timedScript(builtinTraining(), name: "builtin.dpq")
          : try timedScript(languageTraining(), name: "loop.dpq")
        benchLog(
          String(
            format: "round %d %@: wall %.3f s, CPU %.3f s", round, isBuiltin ? "built-in" : "language", t.wall, t.cpu))
        guard round > 0 else { continue }
        if isBuiltin { builtin.append(t) } else { language.append(t) }
      }
    }
    return (builtin, language)
  }

  /// Spawns this executable on a pseudo-terminal `runs` times; the sorted seconds to the prompt.
  func measureStartup(runs: Int) throws -> [Double] {
    let executable =
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var times: [Double] = []
    for run in 0...runs {
      let t = try PseudoTerminal.timeToPrompt(executable: executable, prompt: "dpq> ")
      if run > 0 { times.append(t) } // the first run warms the file cache
    }
    return times.sorted()
  }
}

enum BenchError: Error, CustomStringConvertible {
  case script(name: String, message: String)
  case terminal(String)

  var description: String {
    switch self {
    case .script(let name, let message): return "bench script \(name) failed:\n\(message)"
    case .terminal(let message): return "pseudo-terminal: \(message)"
    }
  }
}

/// Runs a program on a new pseudo-terminal, as a user's terminal would.
enum PseudoTerminal {
  // glibc declares these only for _XOPEN_SOURCE, which the Swift module does not set.
  private typealias IntFunction = @convention(c) (Int32) -> Int32
  private typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
  private static func symbol<T>(_ name: String, as: T.Type) -> T? {
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: T.self) }
  }
  private static func grantpt(_ fd: Int32) -> Int32 { symbol("grantpt", as: IntFunction.self)?(fd) ?? -1 }
  private static func unlockpt(_ fd: Int32) -> Int32 { symbol("unlockpt", as: IntFunction.self)?(fd) ?? -1 }
  private static func ptsname(_ fd: Int32) -> UnsafeMutablePointer<CChar>? {
    symbol("ptsname", as: NameFunction.self)?(fd) ?? nil
  }

  /// Seconds from spawning `executable` (no arguments, no history file) until `prompt` appears
  /// on its terminal; the program is then sent Ctrl-D and reaped.
  static func timeToPrompt(executable: String, prompt: String, timeout: Double = 20) throws -> Double {
    let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
    guard master >= 0, grantpt(master) == 0, unlockpt(master) == 0, let name = ptsname(master) else {
      throw BenchError.terminal("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
    }
    defer { close(master) }
    let slavePath = String(cString: name)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, slavePath, O_RDWR, 0) }
    posix_spawn_file_actions_addclose(&actions, master)
    var environment = ProcessInfo.processInfo.environment
    environment["DPQ_HISTORY"] = ""
    environment["TERM"] = environment["TERM"] ?? "xterm"
    let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
    defer { for p in envp + argv { free(p) } }
    var pid: pid_t = 0
    let start = Stopwatch.now()
    guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else {
      throw BenchError.terminal("cannot start \(executable)")
    }
    var seen = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    let target = Array(prompt.utf8)
    var elapsed: Double? = nil
    while Stopwatch.now() - start < timeout {
      var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 100) > 0 else { continue }
      let n = read(master, &buffer, buffer.count)
      if n <= 0 { break }
      seen += buffer[0..<n]
      if seen.count >= target.count,
        (0...(seen.count - target.count)).contains(where: { seen[$0..<($0 + target.count)].elementsEqual(target) })
      {
        elapsed = Stopwatch.now() - start
        break
      }
    }
    var ctrlD: UInt8 = 4
    _ = write(master, &ctrlD, 1)
    // drain until the child closes the terminal, so it never blocks on a full pty
    let deadline = Stopwatch.now() + 5
    while Stopwatch.now() < deadline {
      var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 100) > 0, read(master, &buffer, buffer.count) > 0 else { break }
    }
    var status: Int32 = 0
    if waitpid(pid, &status, WNOHANG) == 0 {
      kill(pid, SIGKILL)
      waitpid(pid, &status, 0)
    }
    guard let elapsed else {
      throw BenchError.terminal(
        "no prompt '\(prompt)' within \(timeout) s; output: \(String(decoding: seen, as: UTF8.self))")
    }
    return elapsed
  }
}
