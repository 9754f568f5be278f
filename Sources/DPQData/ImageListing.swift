import Foundation

/// One image file of a set and its labels.
public struct ImageEntry: Equatable {
  public var path: String
  /// The class (for multi-label entries: the first class, or -1).
  public var label: Int
  /// 0/1 per class for multi-label entries.
  public var multiHot: [Float]?
}

/// The files of an image set, found in a folder-per-class tree or read from a list file.
public enum ImageListing {
  /// File name endings taken as images, compared case-insensitively: torchvision's
  /// IMG_EXTENSIONS, so the same folder gives the same items and labels in both. dpq decodes
  /// PNG and JPEG; the others are refused (or skipped) by name when decoded.
  public static let extensions = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"]

  static func isImageName(_ name: String) -> Bool {
    let lower = name.lowercased()
    return extensions.contains { lower.hasSuffix($0) }
  }

  /// torchvision's ImageFolder layout: `dir/<class>/**/<file>`. Classes are the sub-folders of
  /// `dir`, sorted by name; a class's files are found at any depth and ordered as torchvision
  /// orders them (folders by path, files by name). An empty class folder keeps its class number
  /// (torchvision's `allow_empty=True`) so labels agree with PyTorch's `class_to_idx`.
  public static func folder(_ dir: String) throws -> (entries: [ImageEntry], classNames: [String]) {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    guard fm.fileExists(atPath: dir, isDirectory: &isDirectory) else {
      throw DataError.missing(path: dir, hint: "expected a folder with one sub-folder of images per class")
    }
    guard isDirectory.boolValue else {
      throw DataError.unreadable(path: dir, reason: "not a folder (load_image_list reads list files)")
    }
    let top: [String]
    do { top = try fm.contentsOfDirectory(atPath: dir) } catch {
      throw DataError.unreadable(path: dir, reason: error.localizedDescription)
    }
    let classes = top.filter { isFolder(joinPath(dir, $0)) }.sorted(by: byteOrder)
    guard !classes.isEmpty else {
      throw DataError.badValue(
        path: dir, reason: "no class sub-folders: put each class's images in a folder named after the class")
    }
    var entries: [ImageEntry] = []
    for (label, name) in classes.enumerated() {
      for file in try filesBelow(joinPath(dir, name)) { entries.append(ImageEntry(path: file, label: label)) }
    }
    guard !entries.isEmpty else {
      throw DataError.badValue(
        path: dir, reason: "no image files (\(extensions.joined(separator: " "))) in the class folders")
    }
    return (entries, classes)
  }

  /// Image files at any depth below `dir`: directories in path order, files by name in each.
  static func filesBelow(_ dir: String) throws -> [String] {
    var directories = [dir]
    var stack = [dir]
    while let d = stack.popLast() {
      for name in (try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [] {
        let p = joinPath(d, name)
        if isFolder(p) {
          directories.append(p)
          stack.append(p)
        }
      }
    }
    var files: [String] = []
    for d in directories.sorted(by: byteOrder) {
      let names = ((try? FileManager.default.contentsOfDirectory(atPath: d)) ?? [])
        .filter { isImageName($0) && !isFolder(joinPath(d, $0)) }
        .sorted(by: byteOrder)
      files += names.map { joinPath(d, $0) }
    }
    return files
  }

  /// A list file, one image per line, as in the released DPQ code and NUS-WIDE lists:
  ///
  ///     images/cat 1.jpg 3               (path and class number)
  ///     images/0001.jpg 0 1 0 0 1        (path and 0/1 per class: multi-label)
  ///
  /// The labels are the trailing numeric fields and the path is everything before them, so paths
  /// may hold spaces. Relative paths are taken from `root` (default: the list file's folder).
  public static func list(_ file: String, root: String? = nil) throws
    -> (entries: [ImageEntry], classNames: [String], multiLabel: Bool)
  {
    let lines = try TextFiles.lines(file)
    guard !lines.isEmpty else { throw DataError.empty(path: file) }
    let base = root ?? (file.contains("/") ? String(file[..<file.lastIndex(of: "/")!]) : ".")
    var parsed: [(line: Int, path: String, numbers: [Substring])] = []
    for (number, text) in lines {
      let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
      var cut = fields.count
      while cut > 1, Int(fields[cut - 1]) != nil { cut -= 1 }
      guard cut < fields.count else {
        throw DataError.badRecord(
          path: file, line: number, reason: "expected an image path followed by a class number or 0/1 labels")
      }
      // The path is the original text up to its last field, so runs of spaces inside it survive.
      let pathEnd = fields[cut - 1].endIndex
      parsed.append((number, String(text[text.startIndex..<pathEnd]), Array(fields[cut...])))
    }
    // A path may end in a number ("scan 2 3"): the label count is the fewest trailing numbers.
    let width = parsed.map(\.numbers.count).min() ?? 1
    let multiLabel = width > 1
    var entries: [ImageEntry] = []
    for p in parsed {
      let extra = p.numbers.count - width
      let path = extra == 0 ? p.path : p.path + " " + p.numbers[..<extra].joined(separator: " ")
      let full = path.hasPrefix("/") ? path : joinPath(base, path)
      let values = p.numbers[extra...].map { Int($0)! }
      if multiLabel {
        guard values.allSatisfy({ $0 == 0 || $0 == 1 }) else {
          throw DataError.badRecord(
            path: file, line: p.line,
            reason:
              "multi-label rows must hold 0 or 1 after the path, found \(values.map(String.init).joined(separator: " "))"
          )
        }
        entries.append(ImageEntry(path: full, label: values.firstIndex(of: 1) ?? -1, multiHot: values.map(Float.init)))
      } else {
        guard values[0] >= 0, values[0] < CSV.maxClassCount else {
          throw DataError.badRecord(
            path: file, line: p.line, reason: "class \(values[0]) is not in 0..<\(CSV.maxClassCount)")
        }
        entries.append(ImageEntry(path: full, label: values[0]))
      }
    }
    let classCount = multiLabel ? width : (entries.map(\.label).max() ?? 0) + 1
    return (entries, (0..<classCount).map(String.init), multiLabel)
  }

  static func isFolder(_ path: String) -> Bool {
    var d: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &d) && d.boolValue
  }

  /// Python's string order (code points; UTF-8 bytes order the same way).
  static func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
