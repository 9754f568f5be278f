import ArgumentParser
import DPQNN
import DPQQuantization
import DPQTensor
import Foundation

/// `dpq bench backbones`: images per second of the AlexNet and ResNet-18 backbones' forward pass
/// (evaluation mode, no graph: what `model.features` and encoding cost before the feature layer),
/// the peer of scripts/peers/torch_backbones.py (torchvision.models in PyTorch CPU). Inputs are
/// N(0, 1) batches of `--backbone-batch` images of `--size` x `--size` (224 as torchvision's
/// ImageNet models; smaller sizes make a fast check); weights are the backbones' random start.
extension BenchCommand {
  static let backboneKinds: [BackboneKind] = [.alexnet, .resnet18]

  func benchBackbones() throws -> BenchReport {
    var report = BenchReport(suite: "backbones")
    guard backboneBatch >= 1 else { throw ValidationError("--backbone-batch must be at least 1") }
    for kind in Self.backboneKinds {
      let workload = "backbone/\(kind.rawValue)/\(size)"
      guard selected(workload) else { continue }
      var c = DPQConfiguration()
      c.backbone = kind
      c.inputShape = [3, size, size]
      do { try c.validate() } catch { throw ValidationError("--size \(size): \(error)") }
      let model = try DPQModel(c, seed: 1)
      model.eval()
      var rng = RandomGenerator(seed: 11)
      let x = try Tensor.randomNormal([backboneBatch, 3, size, size], using: &rng)
      var shape: [Int] = []
      let times = try Stopwatch.measure(runs: runs) {
        shape = try Tensor.withNoGrad { try model.network.backbone(x) }.shape
      }
      report.add(
        BenchMeasurement(
          workload: workload, unit: "images/s", higherIsBetter: true, values: times.map { Double(backboneBatch) / $0 },
          info: [
            "batch": backboneBatch, "input": [3, size, size], "output": shape, "threads": engineThreadCount,
            "median_batch_ms": Stopwatch.median(times.sorted()) * 1e3,
            "mode": "eval, no grad", "weights": "random (dpq's initialisation)",
          ]))
    }
    return report
  }
}
