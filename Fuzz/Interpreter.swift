// Fuzz target: the interpreter on mutated programs (seeded from the golden scripts, mutated with
// the keyword and builtin dictionary), with a step limit and small tensors. Builtins that touch
// files, train or plot are left out of the registry: they are fuzzed through their own readers.
import DPQScript
import DPQTensor
import Foundation

let excludedFamilies: Set<String> = ["data", "dpq", "quantizers", "index", "evaluation", "plot"]
let excludedNames: Set<String> = ["load", "help", "save"]
let registry: BuiltinRegistry = {
  var r = BuiltinRegistry()
  for b in BuiltinRegistry.standard().entries
  where !excludedFamilies.contains(b.family) && !excludedNames.contains(b.name) {
    r.register(b)
  }
  return r
}()

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
