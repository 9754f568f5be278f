import DPQData
import DPQLanguage
import DPQTensor
import Foundation

/// Image files in the language: PNG/JPEG folders and lists as datasets (or lazily decoded image
/// sets for folders too big for memory), and writing images as PNG.
enum ImageBindings {
  static let family = "data"

  static func register(into r: inout BuiltinRegistry) {
    registerLoaders(into: &r)
    registerImageSetMembers(into: &r)
  }

  /// The keyword parameters every loader shares.
  static var transformParameters: [Parameter] {
    [
      .keyword("size", .optional(.shape), default: .nilValue), .keyword("channels", .integer, default: .number(3)),
      .keyword("crop", .optional(.shape), default: .nilValue), .keyword("random_crop", .bool, default: .bool(false)),
      .keyword("flip", .bool, default: .bool(false)), .keyword("mean", .any, default: .nilValue),
      .keyword("std", .any, default: .nilValue), .keyword("skip_broken", .bool, default: .bool(false)),
      .keyword("lazy", .bool, default: .bool(false)), .keyword("cache_mb", .integer, default: .number(256)),
      .keyword("seed", .integer, default: .number(0)),
    ]
  }

  static let transformDoc =
    "`size:` resizes (bilinear) to [h, w] (one number: square); `crop:` then cuts [h, w] from the centre, or at random with `random_crop: true`; `flip: true` mirrors half the images; `channels:` 1 (grey) or 3 (RGB); `mean:`/`std:` normalise per channel. Random crops and flips are drawn once at load (fresh per batch with `lazy: true`). A file that cannot be decoded stops the load with its name; `skip_broken: true` leaves such files out and prints how many. `lazy: true` returns an image set that decodes per batch and keeps at most `cache_mb` MiB of decoded images."

  static func transform(_ a: Arguments) throws -> ImageTransform {
    var t = ImageTransform(channels: try a.integer("channels"))
    func square(_ s: [Int]) -> [Int] { s.count == 1 ? [s[0], s[0]] : s }
    if a.has("size") { t.size = square(try a.shape("size")) }
    if a.has("crop") { t.crop = square(try a.shape("crop")) }
    t.randomCrop = try a.bool("random_crop")
    t.horizontalFlip = try a.bool("flip")
    if a.has("mean") { t.mean = try a.doubles("mean").map(Float.init) }
    if a.has("std") { t.std = try a.doubles("std").map(Float.init) }
    return t
  }

  static func cacheBytes(_ a: Arguments) throws -> Int {
    let mb = try a.integer("cache_mb")
    guard mb >= 0 else { throw a.badArgument("cache_mb", "must be 0 or more, got \(mb)") }
    return mb << 20
  }

  /// The set itself when `lazy: true`, else all of it decoded into a dataset.
  static func result(_ set: ImageSet, _ a: Arguments, function: String) throws -> Value {
    if try a.bool("lazy") { return .host(ImageSetObject(set, skipBroken: try a.bool("skip_broken"))) }
    return try materialise(set, skipBroken: a.bool("skip_broken"), a, function: function)
  }

  static func materialise(_ set: ImageSet, skipBroken: Bool, _ a: Arguments, function: String) throws -> Value {
    let (data, skipped) = try set.dataset(skipBroken: skipBroken)
    if let first = skipped.first {
      a.write(
        "\(function): skipped \(skipped.count) of \(set.count) images that cannot be decoded (first: \(first.reason))\n"
      )
    }
    return DataBindings.dataset(data)
  }

  static func registerLoaders(into r: inout BuiltinRegistry) {
    r.add(
      "load_images", family: family, [Parameter("dir", .string)] + transformParameters, returns: "dataset or images",
      summary:
        "PNG/JPEG images in one folder per class (torchvision's ImageFolder) as a dataset [n, C, H, W] in [0, 1].",
      doc:
        "Classes are the sub-folders of `dir`, sorted by name; each class's files are found at any depth. Names ending in .png, .jpg or .jpeg (any case) are decoded; other image types are refused. "
        + transformDoc,
      example:
        "save_image(zeros([1, 4, 4]), \"/tmp/dpq-pics/dark/a.png\")\nsave_image(ones([1, 4, 4]), \"/tmp/dpq-pics/light/b.png\")\npics = load_images(\"/tmp/dpq-pics\", channels: 1)\npics.classes\n# big = load_images(\"imagenet/train\", size: 224, lazy: true)"
    ) { a in
      let set = try ImageSet.folder(a.string("dir"), transform: transform(a), cacheLimit: cacheBytes(a), seed: a.seed())
      return try result(set, a, function: "load_images")
    }
    r.add(
      "load_image_list", family: family,
      [Parameter("file", .string), .keyword("root", .optional(.string), default: .nilValue)] + transformParameters,
      returns: "dataset or images",
      summary: "Images named in a list file, one per line: `path class` or `path 0 1 0 ...` (multi-label).",
      doc:
        "Relative paths are taken from `root:` (default: the list file's folder); paths may contain spaces. A line of 0/1 values after the path makes a multi-label dataset (the released DPQ code's and NUS-WIDE's format). "
        + transformDoc,
      example: "# nus = load_image_list(\"nus/train.txt\", root: \"nus/images\", size: 224)\nhelp(\"load_image_list\")"
    ) { a in
      let root: String? = a.has("root") ? try a.string("root") : nil
      let set = try ImageSet.list(
        a.string("file"), root: root, transform: transform(a), cacheLimit: cacheBytes(a), seed: a.seed())
      return try result(set, a, function: "load_image_list")
    }
    r.add(
      "save_image", family: family, [Parameter("image", .tensorLike), Parameter("path", .string)], returns: "nil",
      summary: "Writes an image [C, H, W] or [H, W] with values in [0, 1] as a PNG file (atomically); C is 1 or 3.",
      doc:
        "Values are clamped to [0, 1] and rounded to 8 bits, so a dataset item from fashion_mnist() round-trips exactly. Missing folders on the path are created.",
      example: "save_image(fashion_mnist(part: \"test\")[0].features, \"/tmp/dpq-items/shirt/0.png\")"
    ) { a in
      let t = try a.tensor("image")
      let shape = t.rank == 2 ? [1] + t.shape : t.shape
      guard shape.count == 3 else {
        throw a.badArgument("image", "an image [C, H, W] or [H, W] expected, got shape \(t.shape)")
      }
      let path = try a.string("path")
      if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
        let folder = String(path[..<slash])
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
          throw ScriptError.failure("cannot create the folder '\(folder)': \(error.localizedDescription)")
        }
      }
      try t.withUnsafeBufferPointer {
        try ImageCodec.writePNG($0, channels: shape[0], height: shape[1], width: shape[2], to: path)
      }
      return .nilValue
    }
  }

  static func registerImageSetMembers(into r: inout BuiltinRegistry) {
    let example = "# big = load_images(\"photos\", size: 64, lazy: true)\n"
    r.property(
      "count", of: ImageSetObject.self, family: family, returns: "number", summary: "The number of image files.",
      example: example + "# big.count\nhelp(\"images.count\")"
    ) { .int($0.set.count) }
    r.method(
      "len", of: ImageSetObject.self, family: family, returns: "number",
      summary: "The number of image files, for len().",
      example: example + "# len(big)\nhelp(\"images.len\")"
    ) { s, _ in .int(s.set.count) }
    r.property(
      "classes", of: ImageSetObject.self, family: family, returns: "list",
      summary: "The class names; labels index them.",
      example: example + "# big.classes\nhelp(\"images.classes\")"
    ) { .strings($0.set.classNames) }
    r.property(
      "labels", of: ImageSetObject.self, family: family, returns: "list",
      summary: "One class per image (multi-label: the first, or -1).",
      example: example + "# big.labels[0:3]\nhelp(\"images.labels\")"
    ) { .ints($0.set.labels) }
    r.property(
      "item_shape", of: ImageSetObject.self, family: family, returns: "list",
      summary: "The shape of one decoded image [C, H, W].",
      example: example + "# big.item_shape\nhelp(\"images.item_shape\")"
    ) { .ints($0.set.itemShape) }
    r.property(
      "paths", of: ImageSetObject.self, family: family, returns: "list", summary: "The image files, in item order.",
      example: example + "# big.paths[0]\nhelp(\"images.paths\")"
    ) { .strings($0.set.entries.map(\.path)) }
    r.property(
      "memory", of: ImageSetObject.self, family: family, returns: "record",
      summary: "Memory held by decoded images: {cached_mb, limit_mb, cached_images}.",
      example: example + "# big.memory\nhelp(\"images.memory\")"
    ) { s in
      .fields([
        ("cached_mb", .number(Double(s.set.cachedBytes) / 1_048_576)),
        ("limit_mb", .number(Double(s.set.cacheLimit) / 1_048_576)),
        ("cached_images", .int(s.set.cachedCount)),
      ])
    }
    r.property(
      "skipped", of: ImageSetObject.self, family: family, returns: "number",
      summary: "How many files lazy batches have left out so far (skip_broken: true).",
      example: example + "# big.skipped\nhelp(\"images.skipped\")"
    ) { .int($0.set.skippedFiles.count) }
    r.method(
      "batches", of: ImageSetObject.self, family: family,
      [
        Parameter("size", .integer, default: .number(128)), .keyword("shuffle", .bool, default: .bool(true)),
        .keyword("seed", .integer, default: .number(0)), .keyword("epoch", .integer, default: .number(0)),
        .keyword("drop_last", .bool, default: .bool(false)),
      ],
      returns: "batches",
      summary: "Mini-batches decoded on demand: records {features, labels, indices} as dataset.batches gives.",
      doc:
        "Only a batch's images are decoded (or taken from the cache); random crops and flips are drawn afresh for every batch. A file that cannot be decoded stops the loop with its name; with `skip_broken: true` (given to load_images) it is left out of its batch and counted in `skipped`.",
      example: example + "# for b in big.batches(64) { print(b.features.shape) }\nhelp(\"images.batches\")"
    ) { s, a in
      .host(
        ImageBatchesObject(
          s.set, size: try a.positive("size"), shuffle: try a.bool("shuffle"), seed: try a.seed(),
          epoch: try a.integer("epoch"), dropLast: try a.bool("drop_last"), skipBroken: s.skipBroken))
    }
    r.method(
      "dataset", of: ImageSetObject.self, family: family, returns: "dataset",
      summary: "Decodes every image into one dataset (refused when it needs more than 4 GiB).",
      example: example + "# small = big[0:100].dataset()\nhelp(\"images.dataset\")"
    ) { s, a in
      try materialise(s.set, skipBroken: s.skipBroken, a, function: "dataset")
    }
  }
}
