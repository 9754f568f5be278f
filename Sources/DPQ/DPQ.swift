@_exported import DPQData
@_exported import DPQNN
@_exported import DPQQuantization
@_exported import DPQRetrieval
// The umbrella module: `import DPQ` gives a consumer package the library's modules at once
// (tensors and autodiff, layers, data readers, quantizers and the DPQ model, search and metrics),
// as the `DPQ` product of Package.swift promises.
@_exported import DPQTensor

/// The package's version (semantic versioning; CHANGELOG.md says what each one changed). The
/// `dpq` command reports it with `--version` and `dpq info`.
public enum DPQVersion {
  public static let string = "0.2.0"
}
