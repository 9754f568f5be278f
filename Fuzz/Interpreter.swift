// Fuzz target: the interpreter on mutated programs (seeded from the golden scripts, mutated with
// the keyword and builtin dictionary), with a step limit and small tensors. Builtins that touch
// files, train or plot are left out of the registry: they are fuzzed through their own readers.
import DPQBindings
import DPQLanguage
import DPQTensor
import Foundation

let excludedFamilies: Set<String> = ["data", "dpq", "quantizers", "index", "evaluation", "plot"]
let excludedNames: Set<String> = ["load", "help", "save"]
/// libFuzzer calls the entry point from one thread, so the one registry needs no isolation.
nonisolated(unsafe) let registry: BuiltinRegistry = {
  var r = BuiltinRegistry()
  for b in BuiltinRegistry.standard().entries
  where !excludedFamilies.contains(b.family) && !excludedNames.contains(b.name) {
    r.register(b)
  }
  return r
}()

/// Builds the registry (and Foundation's and the tensor library's one-time state, through one
/// small script) before the first input, so that allocations made once per process are not
/// counted against an input by libFuzzer's leak check.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
  _ = ScriptSession(output: StringOutputSink(), registry: registry).run(
    source: "x = zeros([2]) + 1\nprint(x.sum())", file: "init.dpq")
  return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  Tensor.maxElements = 1 << 22
  let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let sink = StringOutputSink()
  let session = ScriptSession(output: sink, registry: registry)
  session.stepLimit = 5_000
  if case .failure(let error) = session.run(source: source, file: "fuzz.dpq") {
    require(!String(describing: error).isEmpty, "an empty error")
  }
  return 0
}
