import DPQData
import DPQTensor

/// Models trained in PyTorch: a plain `safetensors.torch.save_file(model.state_dict(), path)`
/// file has no dpq metadata, so the configuration comes from the caller. Names and layouts are
/// dpq's own (python/dpq_torch builds the same module tree).
extension DPQModel {
  /// Loads `path` with the architecture `configuration`. A dpq model file must have that
  /// architecture; a plain state-dict file is read by tensor name, with BatchNorm's
  /// `num_batches_tracked` counters ignored, a DistributedDataParallel `module.` prefix removed,
  /// and F16/BF16 tensors widened to F32. Every tensor of the model must be present with its
  /// shape, and no other tensor may be.
  public static func load(from path: String, configuration: DPQConfiguration) throws -> DPQModel {
    let file = try SafeTensors.readWideningHalfPrecision(path)
    if file.metadata["format"] == fileFormat {
      let model = try load(from: path)
      guard model.configuration.sameArchitecture(as: configuration) else {
        throw DataError.badHeader(
          path: path,
          reason:
            "the model's configuration does not match config: (file: \(model.configuration.summary); given: \(configuration.summary))"
        )
      }
      return model
    }
    let model = try DPQModel(configuration)
    var tensors: [String: Tensor] = [:]
    let prefixed = !file.entries.isEmpty && file.entries.allSatisfy { $0.name.hasPrefix("module.") }
    for e in file.entries where !e.name.hasSuffix("num_batches_tracked") {
      let name = prefixed ? String(e.name.dropFirst("module.".count)) : e.name
      tensors[name] = try file.tensor(e.name, path: path)
    }
    var state: [(String, Tensor)] = []
    for (name, own) in model.stateDict() {
      guard let t = tensors.removeValue(forKey: name) else {
        throw DataError.badEntry(
          path: path, name: name, reason: "missing: a \(configuration.summary) model needs it (shape \(own.shape))")
      }
      guard t.shape == own.shape else {
        throw DataError.badEntry(
          path: path, name: name, reason: "shape \(t.shape), but a \(configuration.summary) model needs \(own.shape)")
      }
      state.append((name, t))
    }
    if let extra = tensors.keys.sorted().first {
      throw DataError.badEntry(
        path: path, name: extra,
        reason: "not a tensor of a \(configuration.summary) model (\(tensors.count) such tensors)")
    }
    do { try model.loadStateDict(state) } catch {
      throw DataError.badEntry(path: path, name: "state", reason: "\(error)")
    }
    model.eval()
    return model
  }
}

extension DPQConfiguration {
  /// Whether two configurations build the same tensors and forward pass (loss weights aside).
  public func sameArchitecture(as other: DPQConfiguration) -> Bool {
    backbone == other.backbone && inputShape == other.inputShape
      && (backbone != .mlp || hiddenSizes == other.hiddenSizes)
      && featureDimension == other.featureDimension && classCount == other.classCount && blockCount == other.blockCount
      && codewordCount == other.codewordCount && similarity == other.similarity && batchNorm == other.batchNorm
  }
}
