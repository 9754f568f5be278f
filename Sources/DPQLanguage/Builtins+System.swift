import Foundation

/// Builtins that read what the host process was given: its environment and the script's
/// command-line arguments. The host sets `Interpreter.arguments` (`dpq run FILE -- a b`) and may
/// replace `Interpreter.environment` (tests).
enum SystemBuiltins {
  static func register(into r: inout BuiltinRegistry) {
    r.register(
      Builtin(
        "env", family: "system",
        parameters: [Parameter("name", .string), Parameter("default", .optional(.string), default: .nilValue)],
        returns: "string",
        summary: "The value of an environment variable, or `default` (nil) when it is not set.",
        doc: "Tutorials read `env(\"DPQ_FAST\")` to run a short version of themselves in tests.",
        example: "fast = env(\"DPQ_FAST\") == \"1\"\nhome = env(\"HOME\", \"/tmp\")"
      ) { a in
        if let value = a.interpreter.environment[try a.string("name")] { return .string(value) }
        return a["default"]
      })
    r.register(
      Builtin(
        "args", family: "system", returns: "list",
        summary: "The command-line arguments after the script's name, as strings.",
        doc: "`dpq run train.dpq -- 5 fast` gives `[\"5\", \"fast\"]`; empty in the REPL.",
        example: "epochs = 5\nif len(args()) > 0 { epochs = num(args()[0]) }"
      ) { a in
        .list(ListObject(a.interpreter.arguments.map { .string($0) }))
      })
  }
}
