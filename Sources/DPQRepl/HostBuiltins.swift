import DPQScript
import Foundation

/// Builtins that only a host process can answer: the environment and the command-line
/// arguments. Registered on top of the standard registry for the REPL, `dpq run` and notebooks;
/// a name the standard registry already has is left to it.
public enum HostBuiltins {
  /// The standard registry plus `env` and `args`; `arguments` are what `args()` returns.
  public static func registry(arguments: [String] = [],
                              environment: [String: String] = ProcessInfo.processInfo.environment) -> BuiltinRegistry {
    var r = BuiltinRegistry.standard()
    register(into: &r, arguments: arguments, environment: environment)
    return r
  }

  public static func register(into r: inout BuiltinRegistry, arguments: [String], environment: [String: String]) {
    if r.functions["env"] == nil {
      r.register(Builtin(
        "env", family: "system",
        parameters: [Parameter("name", .string), Parameter("default", .optional(.string), default: .nilValue)],
        returns: "string",
        summary: "The value of an environment variable, or `default` (nil) when it is not set.",
        doc: "Tutorials read `env(\"DPQ_FAST\")` to run a short version of themselves in tests.",
        example: "fast = env(\"DPQ_FAST\") == \"1\"\nhome = env(\"HOME\", \"/tmp\")") { a in
          if let value = environment[try a.string("name")] { return .string(value) }
          return a["default"]
        })
    }
    if r.functions["args"] == nil {
      r.register(Builtin(
        "args", family: "system", returns: "list",
        summary: "The command-line arguments after the script's name, as strings.",
        doc: "`dpq run train.dpq -- 5 fast` gives `[\"5\", \"fast\"]`; empty in the REPL.",
        example: "epochs = 5\nif len(args()) > 0 { epochs = num(args()[0]) }") { _ in
          .list(ListObject(arguments.map { .string($0) }))
        })
    }
  }
}
