import DPQData
import DPQTensor

extension DPQModel {
  /// Loads a torchvision checkpoint (converted to safetensors, e.g. with
  /// `save_file(torchvision.models.resnet18(weights=...).state_dict(), path)`) into the
  /// backbone: its names are the backbone's without the `backbone.` prefix. The ImageNet
  /// classifier (`fc.*` of ResNet, `classifier.6.*` of AlexNet) and BatchNorm's
  /// `num_batches_tracked` are left out; F16/BF16 are widened; every backbone tensor must be
  /// present with its shape.
  public func loadBackboneWeights(from path: String) throws {
    let file = try SafeTensors.readWideningHalfPrecision(path)
    let ignored = ["fc.", "classifier.6."]
    var given: [String: String] = [:] // backbone name -> file name
    for e in file.entries where !e.name.hasSuffix("num_batches_tracked") {
      let name = e.name.hasPrefix("module.") ? String(e.name.dropFirst(7)) : e.name
      if ignored.contains(where: { name.hasPrefix($0) }) { continue }
      given["backbone." + name] = e.name
    }
    var state: [(String, Tensor)] = []
    for (name, own) in stateDict() where name.hasPrefix("backbone.") {
      guard let source = given.removeValue(forKey: name) else {
        throw DataError.badEntry(
          path: path, name: String(name.dropFirst(9)),
          reason: "missing: the \(configuration.backbone.rawValue) backbone needs it (shape \(own.shape))")
      }
      let t = try file.tensor(source, path: path)
      guard t.shape == own.shape else {
        throw DataError.badEntry(
          path: path, name: source,
          reason: "shape \(t.shape), but the \(configuration.backbone.rawValue) backbone needs \(own.shape)")
      }
      state.append((name, t))
    }
    if let extra = given.values.sorted().first {
      throw DataError.badEntry(
        path: path, name: extra, reason: "not a tensor of the \(configuration.backbone.rawValue) backbone")
    }
    do { try loadStateDict(state, strict: false) } catch {
      throw DataError.badEntry(path: path, name: "state", reason: "\(error)")
    }
  }
}
