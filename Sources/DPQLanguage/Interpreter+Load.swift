import Foundation

/// `load("other.dpq")`: runs another script in the global scope, so its functions and variables
/// become available. The path is relative to the directory of the file that calls `load`
/// (or to `workingDirectory` from the REPL).
extension Interpreter {
  public func load(_ path: String, from location: SourceLocation) throws {
    let resolved = resolve(path, relativeTo: location.file)
    let key = (resolved as NSString).standardizingPath
    if loadingFiles.contains(key) {
      let chain = (loadingFiles + [key]).map { ($0 as NSString).lastPathComponent }.joined(separator: " -> ")
      throw ScriptError.failure("load cycle: \(chain)")
    }
    guard let data = FileManager.default.contents(atPath: resolved) else {
      throw ScriptError.failure("cannot load '\(path)': no readable file at \(resolved)")
    }
    let source = String(decoding: data, as: UTF8.self)
    let statements = try parse(source, file: resolved)
    if frames.count >= maxCallDepth {
      throw ScriptError.failure("too many nested calls (more than \(maxCallDepth))")
    }
    loadingFiles.append(key)
    frames.append(Frame(name: "load \((path as NSString).lastPathComponent)", callSite: location))
    defer {
      loadingFiles.removeLast()
      frames.removeLast()
    }
    _ = try executeTopLevel(statements)
  }

  /// `path` if absolute, else joined to the calling file's directory or the working directory.
  func resolve(_ path: String, relativeTo file: String) -> String {
    if path.hasPrefix("/") { return path }
    let base: String
    if sources[file] != nil, file.contains("/") || FileManager.default.fileExists(atPath: file), !file.hasPrefix("<") {
      base = (file as NSString).deletingLastPathComponent
    } else {
      base = workingDirectory ?? FileManager.default.currentDirectoryPath
    }
    return base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
  }
}
