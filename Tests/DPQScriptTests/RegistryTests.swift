import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

@Suite struct RegistryTests {
  let registry = BuiltinRegistry.standard()

  /// Every example in the registry runs without an error (they are what help and the docs show).
  @Test func everyExampleRuns() {
    for b in registry.entries {
      let sink = CapturingSink()
      let session = ScriptSession(output: sink)
      session.stepLimit = 100_000
      let result = session.run(source: b.example, file: "example:\(b.qualifiedName)")
      if case .failure(let e) = result { Issue.record("example of \(b.qualifiedName) fails:\n\(e)") }
    }
  }

  @Test func everyEntryIsDocumented() {
    for b in registry.entries {
      #expect(
        !b.summary.isEmpty && b.summary.hasSuffix("."), "\(b.qualifiedName) needs a one-line summary ending with '.'")
      #expect(!b.example.isEmpty, "\(b.qualifiedName) needs an example")
      #expect(b.name == b.name.lowercased() || b.name == "T", "\(b.qualifiedName): builtin names are snake_case")
      for p in b.parameters {
        #expect(p.name == p.name.lowercased(), "\(b.qualifiedName): parameter \(p.name) is not snake_case")
      }
    }
  }

  @Test func requestedFamiliesArePresent() {
    for name in [
      "print", "len", "range", "type", "str", "num", "abs", "min", "max", "sum", "round", "sqrt", "exp", "log",
      "keys", "sorted", "format", "assert", "error", "clock", "time", "help", "load",
      "tensor", "zeros", "ones", "full", "arange", "randn", "rand", "eye", "concat", "stack", "one_hot",
    ] {
      #expect(registry.functions[name] != nil, "missing builtin \(name)")
    }
    for name in [
      "shape", "rank", "T", "reshape", "sum", "mean", "max", "min", "argmax", "exp", "log", "tanh", "relu",
      "sigmoid", "sqrt", "abs", "item", "tolist", "matmul",
    ] {
      #expect(registry.method(name, on: "tensor") != nil, "missing tensor.\(name)")
    }
    #expect(registry.method("append", on: "list") != nil)
  }

  /// help("train") shows the train(model, data, ...) function before the module/model methods.
  @Test func helpShowsFunctionsBeforeMethodsOfTheSameName() {
    let text = HelpRenderer.help("train", registry: registry)
    #expect(text.hasPrefix("train(model, data"), "\(text.prefix(80))")
    #expect(text.contains("module.train(mode: true)"))
  }

  @Test func signaturesRenderLikeCalls() {
    #expect(registry.functions["randn"]?.signature == "randn(shape, seed: nil, mean: 0, std: 1) -> tensor")
    #expect(registry.functions["print"]?.signature == "print(values..., sep: \" \", end: \"\\n\") -> nil")
    #expect(registry.method("shape", on: "tensor")?.signature == "tensor.shape -> list")
  }

  @Test func bindingChecksArgumentsLuaStyle() throws {
    let sink = CapturingSink()
    let interpreter = Interpreter(output: sink)
    let loc = SourceLocation(file: "t", line: 1, column: 1)
    func message(_ name: String, _ positional: [Value], _ keywords: [(String, Value)] = [], on receiver: Value? = nil)
      -> String?
    {
      let b = receiver.flatMap { registry.method(name, on: $0.typeName) } ?? registry.functions[name]!
      do {
        _ = try Arguments.bind(
          b, receiver: receiver,
          call: CallArguments(positional: positional, keywords: keywords.map { (name: $0.0, value: $0.1) }),
          interpreter: interpreter, location: loc)
        return nil
      } catch ScriptError.failure(let m) {
        return m
      } catch {
        return "\(error)"
      }
    }
    let t = Value.tensor(try TensorConversion.tensor(from: .number(1)))
    #expect(message("reshape", [.number(3)], on: t) == nil)
    #expect(message("reshape", [.string("3")], on: t) == "bad argument #1 to 'reshape' (shape expected, got string)")
    #expect(
      message("full", [.list(ListObject([.number(2)])), .string("x")])
        == "bad argument #2 to 'full' (number expected, got string)")
    #expect(message("zeros", []) == "missing argument #1 'shape' to 'zeros'")
    #expect(
      message("randn", [.number(2)], [("sed", .number(1))])
        == "unknown keyword argument 'sed' to 'randn' (did you mean 'seed'?)")
    #expect(
      message("randn", [.number(2)], [("zzz", .number(1))])
        == "unknown keyword argument 'zzz' to 'randn' (it accepts 'shape', 'seed', 'mean', 'std')")
    #expect(
      message("range", [.number(1), .number(2), .number(3), .number(4)])
        == "too many arguments to 'range' (expected at most 3, got 4)")
    #expect(
      message("len", [.number(1)], [("x", .number(2))])
        == "argument 'x' to 'len' given twice (by position and by keyword)")
    #expect(
      message("concat", [.list(ListObject([]))], [("axis", .number(0.5))])
        == "bad argument 'axis' to 'concat' (integer expected, got 0.5)")
    #expect(
      message("clock", [], [("x", .number(1))])
        == "unknown keyword argument 'x' to 'clock' (it takes no keyword arguments)")
  }

  /// docs/language.md's builtin section is generated from the registry (`scripts/docs`, which runs
  /// `dpq reference --update docs/language.md`); this keeps them equal.
  @Test func languageReferenceMatchesTheRegistry() throws {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/language.md")
    let doc = try String(contentsOf: url, encoding: .utf8)
    #expect(
      try HelpRenderer.splicingReference(registry, into: doc) == doc,
      "docs/language.md is out of date: run scripts/docs")
    #expect(throws: HelpDocumentError.self) { try HelpRenderer.splicingReference(registry, into: "# no markers\n") }
  }
}

@Suite struct LanguageDocTests {
  /// The complete example of docs/language.md runs and prints what it should.
  @Test func completeExampleRuns() throws {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/language.md")
    let doc = try String(contentsOf: url, encoding: .utf8)
    let section = try #require(doc.range(of: "## A complete example\n\n```\n"))
    let rest = doc[section.upperBound...]
    let close = try #require(rest.range(of: "\n```"))
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let result = session.run(source: String(rest[..<close.lowerBound]), file: "example.dpq")
    if case .failure(let e) = result { Issue.record("the example fails:\n\(e)") }
    #expect(
      sink.lines == [
        "loss every 50 steps: [4.4079, 0.0001, 0.0001, 0.0001]",
        "distance to the true weights below 0.01: true",
        "largest weight first: [0, 1, 2]",
      ])
  }
}
