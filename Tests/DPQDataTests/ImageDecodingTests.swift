import DPQTensor
import Foundation
import Testing

@testable import DPQData

/// Decoded pixels against Pillow's for the same files: Pillow writes PNG and JPEG files of every
/// colour type dpq reads, with its own decoding of each saved beside them as .npy [C, H, W].
@Suite struct ImageDecodingTests {
  static let makeFixtures = """
    import sys, numpy as np
    from PIL import Image
    d = sys.argv[1]; g = np.random.default_rng(5)
    rgb = g.integers(0, 256, (13, 7, 3), dtype=np.uint8)
    # A smooth image too: JPEG's rounding differs most on noise, least on photographs.
    yy, xx = np.mgrid[0:24, 0:32]
    smooth = np.stack([xx * 8, yy * 10, (xx + yy) * 4], -1).clip(0, 255).astype(np.uint8)
    files = {
      'rgb.png': Image.fromarray(rgb),
      'rgba.png': Image.fromarray(np.concatenate([rgb, g.integers(0, 256, (13, 7, 1), dtype=np.uint8)], -1)),
      'grey.png': Image.fromarray(rgb[:, :, 0]),
      'grey_alpha.png': Image.fromarray(np.stack([rgb[:, :, 1], rgb[:, :, 2]], -1), 'LA'),
      'palette.png': Image.fromarray(rgb).quantize(16),
      'rgb.jpg': Image.fromarray(smooth), 'noise.jpg': Image.fromarray(rgb), 'grey.jpg': Image.fromarray(smooth[:, :, 1]),
    }
    for name, im in files.items():
      im.save(d + '/' + name, **({'quality': 90} if name.endswith('.jpg') else {}))
      back = Image.open(d + '/' + name)
      for mode, c in (('RGB', 3), ('L', 1)):
        a = np.asarray(back.convert(mode), dtype=np.float32).reshape(back.size[1], back.size[0], c) / 255
        np.save('%s/%s.%d.npy' % (d, name, c), a.transpose(2, 0, 1))
    # 16-bit grey: Pillow keeps it as I;16; its values over 65535 are the reference.
    deep = g.integers(0, 65536, (9, 5), dtype=np.uint16)
    Image.fromarray(deep).save(d + '/grey16.png')
    back = np.asarray(Image.open(d + '/grey16.png'), dtype=np.float64)
    np.save(d + '/grey16.png.1.npy', (back / 65535).astype(np.float32)[None])
    print(Image.open(d + '/grey16.png').mode)
    """

  @Test func decodedPixelsEqualPillows() throws {
    let py = try ProjectPython.require(["PIL", "numpy"])
    let dir = try TemporaryDirectory()
    let mode = try ProjectPython.script(py, Self.makeFixtures, [dir.path])
    #expect(mode.contains("I;16"), "the 16-bit fixture should open as I;16 in Pillow, got \(mode)")
    var worst: [String: Float] = [:]
    for name in [
      "rgb.png", "rgba.png", "grey.png", "grey_alpha.png", "palette.png", "rgb.jpg", "noise.jpg", "grey.jpg",
      "grey16.png",
    ] {
      for channels in name == "grey16.png" ? [1] : [3, 1] {
        let ours = try ImageCodec.decode(path: dir.path + "/" + name, channels: channels)
        let reference = try NPY.readTensor(dir.path + "/\(name).\(channels).npy")
        try #require([ours.channels, ours.height, ours.width] == reference.shape, "\(name) \(channels): shape")
        let difference = zip(ours.pixels, reference.scalars).map { abs($0 - $1) }.max() ?? 0
        worst["\(name)/\(channels)"] = difference
        #expect(
          difference <= 1.0 / 255 + 1e-6,
          "\(name) with \(channels) channels differs from Pillow by \(difference * 255)/255")
      }
    }
    // Lossless formats decode exactly; only JPEG may round differently.
    for (key, d) in worst where key.contains(".png") { #expect(d <= 1e-6, "\(key): \(d)") }
    print(
      "largest difference from Pillow (in 1/255):",
      worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value * 255)" })
  }

  @Test func brokenFilesAreRefusedByName() throws {
    let py = try ProjectPython.require(["PIL", "numpy"])
    let dir = try TemporaryDirectory()
    try ProjectPython.script(py, Self.makeFixtures, [dir.path])
    let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path + "/rgb.png")))
    let jpg = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir.path + "/rgb.jpg")))
    let cases: [(String, [UInt8], String)] = [
      ("cut.png", Array(png.prefix(png.count / 2)), "PNG"),
      ("cut.jpg", Array(jpg.prefix(jpg.count * 9 / 10)), "truncated"),
      ("headless.jpg", Array(jpg.prefix(jpg.count / 8)), "JPEG"),
      ("garbage.png", Array(png.prefix(33)) + [UInt8](repeating: 7, count: 200), "PNG"),
      ("text.jpg", Array("not an image".utf8), "not a PNG or JPEG"),
      ("picture.gif", Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 20), "not a PNG or JPEG"),
    ]
    for (name, bytes, fragment) in cases {
      let path = try dir.write(name, bytes)
      do {
        _ = try ImageCodec.decode(path: path, channels: 3)
        Issue.record("\(name) decoded")
      } catch {
        #expect("\(error)".hasPrefix(path), "\(error)")
        #expect("\(error)".contains(fragment), "\(error)")
      }
    }
  }

  @Test func pngRoundTripsEightBitImages() throws {
    let t = try Tensor(shape: [3, 2, 4], scalars: (0..<24).map { Float($0 * 11) / 255 })
    let dir = try TemporaryDirectory()
    try t.withUnsafeBufferPointer {
      try ImageCodec.writePNG($0, channels: 3, height: 2, width: 4, to: dir.path + "/a.png")
    }
    let back = try ImageCodec.decode(path: dir.path + "/a.png", channels: 3)
    #expect(back.pixels == t.scalars)
    let grey = try ImageCodec.decode(path: dir.path + "/a.png", channels: 1)
    // Pillow's luma of pixel 0: (0 * 19595 + 88 * 38470 + 176 * 7471 + 0x8000) >> 16 = 72.
    #expect(grey.pixels[0] == Float(72) / 255)
  }

  @Test func bilinearResizeMatchesHandWorkedValues() {
    // 2x2 -> 4x4 with half-pixel centres: output x = 1 samples source x = 0.25.
    let image = DecodedImage(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 3])
    let out = ImageTransform.bilinear(image, height: 4, width: 4)
    #expect(out.pixels[0..<4] == [0, 0.25, 0.75, 1])
    #expect(out.pixels[4..<8] == [0.5, 0.75, 1.25, 1.5])
    #expect(out.pixels[12..<16] == [2, 2.25, 2.75, 3])
    let down = ImageTransform.bilinear(
      DecodedImage(width: 4, height: 1, channels: 1, pixels: [0, 1, 2, 3]), height: 1, width: 2)
    #expect(down.pixels == [0.5, 2.5])
  }
}
