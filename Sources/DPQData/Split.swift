/// A retrieval protocol's division of a dataset: items to train on, queries, and the database
/// the queries search. The parts are index arrays into `source`; `train`, `query` and `database`
/// copy the rows out (keep the result rather than reading a property twice).
public struct Split: CustomStringConvertible {
  /// The protocol's name, e.g. "FM-5k (seed 7)".
  public let name: String
  /// The dataset all indices refer to.
  public let source: LabelledDataset
  public let trainIndices: [Int]
  public let queryIndices: [Int]
  public let databaseIndices: [Int]

  /// A split after checking that every index is inside `source`.
  public init(
    name: String, source: LabelledDataset, trainIndices: [Int], queryIndices: [Int],
    databaseIndices: [Int]
  ) throws {
    for (part, indices) in [("train", trainIndices), ("query", queryIndices), ("database", databaseIndices)] {
      if let bad = indices.first(where: { $0 < 0 || $0 >= source.count }) {
        throw DataError.invalidArgument(
          op: "Split", reason: "\(part) index \(bad) is out of range for \(source.count) items")
      }
    }
    self.name = name
    self.source = source
    self.trainIndices = trainIndices
    self.queryIndices = queryIndices
    self.databaseIndices = databaseIndices
  }

  /// The training items (a copy).
  public var train: LabelledDataset { source.subsetUnchecked(trainIndices, name: "\(name) train") }
  /// The query items (a copy).
  public var query: LabelledDataset { source.subsetUnchecked(queryIndices, name: "\(name) query") }
  /// The database items (a copy).
  public var database: LabelledDataset { source.subsetUnchecked(databaseIndices, name: "\(name) database") }

  public var description: String {
    "\(name): train \(trainIndices.count), query \(queryIndices.count), database \(databaseIndices.count) of \(source.name) (\(source.count) items)"
  }
}
