import Foundation
import Testing

@testable import DPQBindings
@testable import DPQLanguage

/// load_images, load_image_list and save_image through the language, on PNG files the script
/// writes itself (so no Python is needed here; the decoders are checked against Pillow in
/// DPQDataTests).
@Suite struct ImageBindingTests {
  func run(_ source: String) -> (String, ScriptError?) {
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    if case .failure(let e) = session.run(source: source, file: "images.dpq") { return (sink.text, e) }
    return (sink.text, nil)
  }

  func temporary() throws -> String {
    let d = NSTemporaryDirectory() + "dpq-image-bindings-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: d + "/pics/Two", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: d + "/pics/one", withIntermediateDirectories: true)
    return d
  }

  @Test func savedImagesLoadBackAsADatasetAndLazily() throws {
    let d = try temporary()
    defer { try? FileManager.default.removeItem(atPath: d) }
    try "broken".write(toFile: d + "/pics/one/z broken.png", atomically: true, encoding: .utf8)
    let (out, error) = run(
      """
      x = arange(12).reshape([1, 3, 4]) / 255
      save_image(x, "\(d)/pics/Two/a.png")
      save_image(x * 2, "\(d)/pics/one/b.PNG")
      save_image(x * 3, "\(d)/pics/one/c d.png")
      data = load_images("\(d)/pics", channels: 1, skip_broken: true)
      print(data.count, data.shape, data.classes, data.labels)
      print(round(data.features[2][0, 0, 3] * 255), round(data.features[1][0, 2, 3] * 255))
      small = load_images("\(d)/pics", size: [2, 2], channels: 3, skip_broken: true)
      print(small.shape)
      lazy = load_images("\(d)/pics", channels: 1, lazy: true, cache_mb: 1)
      print(lazy.count, lazy.item_shape, lazy.memory.cached_images)
      good = lazy[[0, 2]]
      for b in good.batches(2, shuffle: false) { print(b.labels, b.features.shape) }
      print(good.memory.cached_images)
      save_image(x, "\(d)/list.png")
      print(load_image_list("\(d)/list.txt").labels)
      """.replacingOccurrences(
        of: "load_image_list(\"\(d)/list.txt\")",
        with: { () -> String in
          try? "list.png 4\nlist.png 1\n".write(toFile: d + "/list.txt", atomically: true, encoding: .utf8)
          return "load_image_list(\"\(d)/list.txt\", channels: 1)"
        }()))
    #expect(error == nil, "\(String(describing: error))")
    let lines = out.split(separator: "\n").map(String.init)
    try #require(lines.count == 9, "\(out)")
    #expect(
      lines[0].hasPrefix("load_images: skipped 1 of 4 images that cannot be decoded (first: \(d)/pics/one/z broken.png")
    )
    // Classes sorted by code point ("Two" < "one"), files by name within each.
    #expect(lines[1] == "3 [3, 1, 3, 4] [\"Two\", \"one\"] [0, 1, 1]")
    #expect(lines[2] == "9 22")
    #expect(lines[3].hasPrefix("load_images: skipped 1 of 4"))
    #expect(lines[4] == "[3, 3, 2, 2]")
    #expect(lines[5] == "4 [1, 3, 4] 0")
    #expect(lines[6] == "[0, 1] [2, 1, 3, 4]")
    #expect(lines[7] == "2")
    #expect(lines[8] == "[4, 1]")
  }

  @Test func aBrokenFileStopsTheLoopWithItsName() throws {
    let d = try temporary()
    defer { try? FileManager.default.removeItem(atPath: d) }
    try "broken".write(toFile: d + "/pics/one/bad.jpg", atomically: true, encoding: .utf8)
    let (_, error) = run(
      """
      save_image(ones([1, 2, 2]), "\(d)/pics/Two/a.png")
      lazy = load_images("\(d)/pics", channels: 1, lazy: true)
      for b in lazy.batches(1, shuffle: false) { print(b.labels) }
      """)
    let message = try #require(error).description
    #expect(message.contains("\(d)/pics/one/bad.jpg"), "\(message)")
    let (_, eager) = run("load_images(\"\(d)/pics\", channels: 1)")
    #expect(try #require(eager).description.contains("bad.jpg"))
    let (out, skipping) = run(
      """
      lazy = load_images("\(d)/pics", channels: 1, lazy: true, skip_broken: true)
      for b in lazy.batches(1, shuffle: false) { print(b.labels, b.indices) }
      print(lazy.skipped)
      """)
    #expect(skipping == nil, "\(String(describing: skipping))")
    #expect(out == "[0] [0]\n1\n")
  }
}

extension ImageBindingTests {
  /// train() on a lazy image set: images decoded per batch with no cache (cache_mb: 0, smaller
  /// than the set), never one tensor of every image; the model then encodes the same set.
  @Test func trainTakesALazyImageSetWithACacheSmallerThanTheSet() throws {
    let d = try temporary()
    defer { try? FileManager.default.removeItem(atPath: d) }
    let (out, error) = run(
      """
      seed(4)
      for i in range(16) { save_image(rand([1, 28, 28]) * 0.5 + (i % 2) * 0.5, "\(d)/pics/" + ["Two", "one"][i % 2] + "/{i}.png") }
      pics = load_images("\(d)/pics", channels: 1, lazy: true, cache_mb: 0)
      m = dpq(classes: 2, dim: 8, blocks: 2, codewords: 4)
      log = train(m, pics, epochs: 2, batch: 4, mode: "end_to_end", init: "kmeans")
      print(log.epochs, log.stage, pics.memory.cached_images)
      print(len(log.epochs))
      """)
    #expect(error == nil, "\(String(describing: error))")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 2, "\(out)")
    #expect(lines.first == "[1, 2] [1, 2] 0", "\(out)")
    // A set whose items the model cannot take is refused before training, by shape.
    let (_, wrong) = run(
      """
      save_image(ones([1, 8, 8]), "\(d)/small/one/a.png")
      train(dpq(classes: 2), load_images("\(d)/small", channels: 1, lazy: true))
      """)
    #expect(
      try #require(wrong).description.contains("the model takes items of shape [1, 28, 28], the data's are [1, 8, 8]"))
  }
}

/// `load_csv(shape:)`, `dataset.reshape` and `load_split` with named files, through the language.
@Suite struct ReshapeBindingTests {
  @Test func csvShapeReshapeAndLoadSplitWithThreeFiles() throws {
    let d = NSTemporaryDirectory() + "dpq-reshape-bindings-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: d) }
    try "label,a,b,c,d\n0,1,2,3,4\n1,5,6,7,8\n1,9,10,11,12\n".write(
      toFile: d + "/t.csv", atomically: true, encoding: .utf8)
    try "0\n1\n".write(toFile: d + "/tr.txt", atomically: true, encoding: .utf8)
    try "2\n".write(toFile: d + "/q.txt", atomically: true, encoding: .utf8)
    try "0 1\n".write(toFile: d + "/db.txt", atomically: true, encoding: .utf8)
    let sink = CapturingSink()
    let session = ScriptSession(output: sink)
    let result = session.run(
      source: """
        x = load_csv("\(d)/t.csv", label: "label", shape: [1, 2, 2])
        print(x.shape, x.features[2, 0, 1].tolist())
        print(x.reshape([4]).shape, x.reshape([-1, 1]).item_shape)
        s = load_split(x, "\(d)", train: "tr.txt", query: "q.txt", database: "db.txt")
        print(s.train_ids, s.query_ids, s.database_ids)
        print(load_split(x, train: "\(d)/tr.txt", query: "\(d)/q.txt", database: "\(d)/db.txt").query.labels)
        load_split(x, train: "\(d)/tr.txt")
        """, file: "reshape.dpq")
    guard case .failure(let e) = result else {
      Issue.record("the call without query: and database: was accepted")
      return
    }
    #expect(e.description.contains("give dir or all three"), "\(e)")
    #expect(sink.text == "[3, 1, 2, 2] [11, 12]\n[3, 4] [4, 1]\n[0, 1] [2] [0, 1]\n[1]\n", "\(sink.text)")
  }
}
