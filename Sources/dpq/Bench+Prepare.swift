import ArgumentParser
import DPQData
import DPQQuantization
import DPQRetrieval
import DPQTensor
import Foundation

/// `dpq bench prepare`: the data every other suite and every peer reads, written once per
/// benchmark run so that dpq, PyTorch and faiss see identical arrays.
///
/// FM-5k (seed 7): 5,000 training images, 1,000 queries, a database of 69,000. A DPQ model
/// (LeNet, D = 300, M = 4, K = 256, l2) is trained briefly; its features of the three parts are
/// the "learned features". Files (NumPy .npy unless noted):
/// - train_images [5000, 1, 28, 28] (normalised, what the trainer sees), train_labels
/// - {train,query,database}_features [n, 300]; {train,database}_pixels [n, 784] in [0, 1]
/// - query_labels, database_labels
/// - index files (safetensors, `Index.save`): dpq_ip (the DPQ codes, inner product), pq_l2,
///   opq_l2, rq_l2 (dpq's PQ/OPQ/RQ trained on train_features, database encoded, squared L2)
/// - prepare.json: settings and the DPQ model's mAP@all at 32 bits.
extension BenchCommand {
  static let prepareSeed: UInt64 = 7
  static let quantizerSeed: UInt64 = 1234

  func benchPrepare() throws {
    try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    let t0 = Stopwatch.now()
    let (trainPart, testPart) = try FashionMNIST.loadAll()
    let split = try Splits.fashionMNIST5k(train: trainPart, test: testPart, seed: BenchCommand.prepareSeed)
    let (train, query, database) = (split.train, split.query, split.database)
    let (mean, std) = train.channelStatistics()
    let trainX = try train.normalised(mean: mean, std: std).features
    let queryX = try query.normalised(mean: mean, std: std).features
    let databaseX = try database.normalised(mean: mean, std: std).features
    benchLog("prepare: \(split) loaded in \(String(format: "%.1f", Stopwatch.now() - t0)) s")
    try NPY.write(trainX, to: dataPath("train_images.npy"))
    try NPY.write(integers: train.labels, to: dataPath("train_labels.npy"))
    try NPY.write(integers: query.labels, to: dataPath("query_labels.npy"))
    try NPY.write(integers: database.labels, to: dataPath("database_labels.npy"))
    try NPY.write(train.features.reshaped([train.count, -1]), to: dataPath("train_pixels.npy"))
    try NPY.write(database.features.reshaped([database.count, -1]), to: dataPath("database_pixels.npy"))

    // A briefly trained DPQ model: its features are what the quantizers and searches run on.
    let model = try DPQModel(DPQConfiguration(), seed: BenchCommand.prepareSeed)
    var options = DPQTrainingOptions()
    options.epochs = epochs
    options.seed = BenchCommand.prepareSeed
    let trainer = try DPQTrainer(model: model, options: options)
    let tTrain = Stopwatch.now()
    try trainer.fit(inputs: trainX, labels: train.labels) { line in
      benchLog(
        String(
          format: "prepare: epoch %d stage %d accuracy %.3f, %.0f images/s", line.epoch, line.stage,
          line.accuracy, line.imagesPerSecond))
    }
    let trainSeconds = Stopwatch.now() - tTrain
    let trainF = try model.extractFeatures(trainX)
    let queryF = try model.extractFeatures(queryX)
    let databaseF = try model.extractFeatures(databaseX)
    try NPY.write(trainF, to: dataPath("train_features.npy"))
    try NPY.write(queryF, to: dataPath("query_features.npy"))
    try NPY.write(databaseF, to: dataPath("database_features.npy"))

    let dpqIndex = try Index(
      quantizer: model.quantizer, codes: model.encode(features: databaseF), metric: .innerProduct)
    try dpqIndex.save(to: dataPath("dpq_ip.safetensors"))
    let relevance = Relevance(
      queries: try LabelSets(labels: query.labels),
      database: try LabelSets(labels: database.labels))
    let dpqMap =
      try dpqIndex.evaluate(queries: queryF, relevance: relevance, blocksList: [4], precisionAt: [100])
      .codeLength(blocks: 4)?.meanAveragePrecision ?? .nan

    let d = model.featureDimension
    let seed = BenchCommand.quantizerSeed
    var pq = try ProductQuantizer(dimension: d, subspaceCount: 4, seed: seed)
    try pq.train(trainF)
    try Index(quantizer: pq, codes: pq.encode(databaseF), metric: .squaredL2).save(to: dataPath("pq_l2.safetensors"))
    var opq = try OptimizedProductQuantizer(dimension: d, subspaceCount: 4, seed: seed)
    try opq.train(trainF)
    try Index(quantizer: opq, codes: opq.encode(databaseF), metric: .squaredL2).save(to: dataPath("opq_l2.safetensors"))
    var rq = try ResidualQuantizer(dimension: d, blockCount: 4, seed: seed)
    try rq.train(trainF)
    try Index(quantizer: rq, codes: rq.encode(databaseF), metric: .squaredL2).save(to: dataPath("rq_l2.safetensors"))

    let manifest: [String: Any] = [
      "split": "\(split)", "seed": Int(BenchCommand.prepareSeed), "quantizer_seed": Int(seed),
      "dpq_epochs": epochs, "dpq_training_seconds": trainSeconds, "dpq_map_at_all_32_bits": dpqMap,
      "model": "LeNet backbone, D = 300, M = 4, K = 256, l2 similarity, two-stage training",
    ]
    try AtomicWriter.write(
      dataPath("prepare.json"),
      bytes: [UInt8](JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])))
    benchLog(
      String(format: "prepare: done in %.0f s (DPQ mAP@all at 32 bits %.4f) -> %@", Stopwatch.now() - t0, dpqMap, data))
  }
}
