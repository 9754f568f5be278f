import DPQLanguage

extension Arguments {
  /// Class labels: a list or tensor of integers, or the labels of a dataset.
  func labels(_ name: String) throws -> [Int] {
    if case .host(let h) = self[name], let d = h as? DatasetObject { return d.data.labels }
    return try integers(name)
  }
}
