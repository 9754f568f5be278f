import CImageCodecs
import DPQTensor

/// One decoded image as planar floats in [0, 1]: `pixels[(c * height + y) * width + x]`.
public struct DecodedImage: Equatable {
  public var width: Int
  public var height: Int
  /// 1 (grey) or 3 (RGB).
  public var channels: Int
  public var pixels: [Float]
}

/// PNG and JPEG decoding (libpng, libjpeg-turbo) and PNG encoding.
///
/// The format is told by the file's first bytes, not its name. Colour conversions follow Pillow,
/// so dpq sees the pixels a PyTorch pipeline built on Pillow sees: alpha is dropped (not blended),
/// RGB to grey is ITU-R 601 luma in Pillow's fixed point, grey to RGB repeats the channel; 16-bit
/// PNG samples keep their precision (v / 65535).
public enum ImageCodec {
  /// Largest image decoded, in pixels (a 16k x 16k image): a header declaring more is refused
  /// before anything is allocated.
  public static let maxPixels = 1 << 28
  /// Largest image file read, in bytes.
  public static let maxFileBytes = 1 << 30

  /// What a file's first bytes say it is.
  public enum Format: String { case png, jpeg }

  /// The format, or nil for anything else.
  public static func format(of bytes: [UInt8]) -> Format? {
    if bytes.starts(with: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) { return .png }
    if bytes.starts(with: [0xff, 0xd8, 0xff]) { return .jpeg }
    return nil
  }

  /// Reads and decodes the image file at `path` into `channels` (1 or 3) channels.
  public static func decode(path: String, channels: Int) throws -> DecodedImage {
    let file = try DataFile(path: path)
    guard !file.isCompressed else {
      throw DataError.unsupported(path: path, reason: "a gzip file, not an image")
    }
    let bytes = try file.readAll(limit: maxFileBytes, what: "an image file")
    return try decode(bytes, channels: channels, path: path)
  }

  /// Decodes PNG or JPEG bytes; `path` names the source in errors.
  public static func decode(_ bytes: [UInt8], channels: Int, path: String) throws -> DecodedImage {
    guard channels == 1 || channels == 3 else {
      throw DataError.invalidArgument(op: "decode", reason: "channels must be 1 (grey) or 3 (RGB), got \(channels)")
    }
    guard let format = format(of: bytes) else {
      throw DataError.unsupported(
        path: path, reason: "not a PNG or JPEG file (it starts with \(hexString(bytes.prefix(4)))); convert it to PNG")
    }
    var image = dpq_image()
    var message = [CChar](repeating: 0, count: 256)
    let status = bytes.withUnsafeBufferPointer { b in
      format == .png
        ? dpq_png_decode(b.baseAddress, b.count, maxPixels, &image, &message, message.count)
        : dpq_jpeg_decode(b.baseAddress, b.count, maxPixels, &image, &message, message.count)
    }
    guard status == 0, let raw = image.pixels else {
      let text = messageText(message)
      throw DataError.badValue(
        path: path, reason: "cannot decode the \(format == .png ? "PNG" : "JPEG") image: \(text)")
    }
    defer { dpq_image_free(&image) }
    return convert(
      raw, width: Int(image.width), height: Int(image.height), stored: Int(image.channels),
      bitDepth: Int(image.bit_depth), channels: channels)
  }

  /// Interleaved 8- or 16-bit samples with `stored` channels (grey, grey+alpha, RGB, RGBA) to
  /// planar floats with `channels` channels.
  static func convert(
    _ raw: UnsafeMutablePointer<UInt8>, width: Int, height: Int, stored: Int,
    bitDepth: Int, channels: Int
  ) -> DecodedImage {
    let count = width * height
    let colour = stored >= 3
    var pixels = [Float](repeating: 0, count: count * channels)
    pixels.withUnsafeMutableBufferPointer { out in
      if bitDepth == 16 {
        raw.withMemoryRebound(to: UInt16.self, capacity: count * stored) { s in
          // Division, not a reciprocal multiply, so values equal NumPy's v / 65535 exactly.
          let scale: Float = 65535
          for i in 0..<count {
            let p = s + i * stored
            if channels == 3 {
              for c in 0..<3 { out[c * count + i] = Float(p[colour ? c : 0]) / scale }
            } else if colour {
              out[i] = (0.299 * Float(p[0]) + 0.587 * Float(p[1]) + 0.114 * Float(p[2])) / scale
            } else {
              out[i] = Float(p[0]) / scale
            }
          }
        }
      } else {
        let scale: Float = 255
        for i in 0..<count {
          let p = raw + i * stored
          if channels == 3 {
            for c in 0..<3 { out[c * count + i] = Float(p[colour ? c : 0]) / scale }
          } else if colour {
            // Pillow's "L" conversion, in the same fixed point, so grey values match exactly.
            let luma = (Int(p[0]) * 19595 + Int(p[1]) * 38470 + Int(p[2]) * 7471 + 0x8000) >> 16
            out[i] = Float(luma) / scale
          } else {
            out[i] = Float(p[0]) / scale
          }
        }
      }
    }
    return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
  }

  /// PNG bytes for a planar `[c, h, w]` image with values in [0, 1] (c = 1 or 3); values are
  /// clamped and rounded to 8 bits.
  public static func encodePNG(
    _ pixels: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int,
    path: String
  ) throws -> [UInt8] {
    guard channels == 1 || channels == 3, pixels.count == channels * height * width, height > 0, width > 0 else {
      throw DataError.invalidArgument(op: "save_image", reason: "expected an image [1 or 3, h, w] with h, w > 0")
    }
    let count = height * width
    var interleaved = [UInt8](repeating: 0, count: pixels.count)
    for i in 0..<count {
      for c in 0..<channels {
        let v = pixels[c * count + i]
        interleaved[i * channels + c] = UInt8((Swift.min(Swift.max(v.isNaN ? 0 : v, 0), 1) * 255).rounded())
      }
    }
    var out: UnsafeMutablePointer<UInt8>? = nil
    var size = 0
    var message = [CChar](repeating: 0, count: 256)
    let status = interleaved.withUnsafeBufferPointer {
      dpq_png_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), &out, &size, &message, message.count)
    }
    guard status == 0, let data = out else {
      throw DataError.writeFailed(path: path, reason: "PNG encoding failed: \(messageText(message))")
    }
    defer { free(data) }
    return Array(UnsafeBufferPointer(start: data, count: size))
  }

  /// Writes a planar `[c, h, w]` image in [0, 1] as a PNG file (atomically).
  public static func writePNG(
    _ pixels: UnsafeBufferPointer<Float>, channels: Int, height: Int, width: Int,
    to path: String
  ) throws {
    let bytes = try encodePNG(pixels, channels: channels, height: height, width: width, path: path)
    try AtomicWriter.write(path) { try $0.write(bytes) }
  }
}
