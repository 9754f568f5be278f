import Testing

@testable import DPQTensor

/// Golden strings in PyTorch's layout (PyTorch's float mode, with the shape appended).
@Suite struct DescriptionTests {
  @Test func matrixColumnsAlign() throws {
    let t = try Tensor([[1, -2.5], [3, 4]])
    #expect(
      t.description == """
        tensor([[ 1.0000, -2.5000],
                [ 3.0000,  4.0000]], shape: [2, 2])
        """)
  }

  @Test func scalarsAndEmptyTensors() throws {
    #expect(Tensor(scalar: 3.5).description == "tensor(3.5000)")
    #expect(try Tensor.zeros([0, 3]).description == "tensor([], shape: [0, 3])")
    #expect(try Tensor.zeros([2]).description == "tensor([0.0000, 0.0000], shape: [2])")
    #expect("\(Tensor([1]))" == "tensor([1.0000], shape: [1])")
  }

  @Test func nonFiniteValues() {
    let t = Tensor([1, .nan, .infinity, -.infinity])
    #expect(t.description == "tensor([1.0000,    nan,    inf,   -inf], shape: [4])")
  }

  @Test func rank3BlocksAreSeparatedByBlankLines() throws {
    let t = try Tensor.arange(0, 8).reshaped([2, 2, 2])
    #expect(
      t.description == """
        tensor([[[0.0000, 1.0000],
                 [2.0000, 3.0000]],

                [[4.0000, 5.0000],
                 [6.0000, 7.0000]]], shape: [2, 2, 2])
        """)
  }

  @Test func longRowsWrap() throws {
    let t = try Tensor.arange(0, 20)
    #expect(
      t.description == """
        tensor([ 0.0000,  1.0000,  2.0000,  3.0000,  4.0000,  5.0000,  6.0000,  7.0000,
                 8.0000,  9.0000, 10.0000, 11.0000, 12.0000, 13.0000, 14.0000, 15.0000,
                16.0000, 17.0000, 18.0000, 19.0000], shape: [20])
        """)
  }

  @Test func largeMatricesAreSummarised() throws {
    let t = Tensor(shape: [40, 30]) { b in for i in b.indices { b[i] = Float(i % 7) - 3 } }
    #expect(
      t.description == """
        tensor([[-3.0000, -2.0000, -1.0000,  ...,  3.0000, -3.0000, -2.0000],
                [-1.0000,  0.0000,  1.0000,  ..., -2.0000, -1.0000,  0.0000],
                [ 1.0000,  2.0000,  3.0000,  ...,  0.0000,  1.0000,  2.0000],
                ...,
                [ 1.0000,  2.0000,  3.0000,  ...,  0.0000,  1.0000,  2.0000],
                [ 3.0000, -3.0000, -2.0000,  ...,  2.0000,  3.0000, -3.0000],
                [-2.0000, -1.0000,  0.0000,  ..., -3.0000, -2.0000, -1.0000]], shape: [40, 30])
        """)
    // at the threshold nothing is hidden
    #expect(try !Tensor.zeros([1000]).description.contains("..."))
  }

  /// What `torch.arange(2000.)` prints, plus the shape.
  @Test func wideRangesSwitchToScientific() throws {
    #expect(
      try Tensor.arange(0, 2000).description == """
        tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,
                1.9990e+03], shape: [2000])
        """)
    #expect(Tensor([1e-5, 1, 100]).description == "tensor([1.0000e-05, 1.0000e+00, 1.0000e+02], shape: [3])")
    #expect(Tensor([2e8]).description == "tensor([2.0000e+08], shape: [1])")
  }

  @Test func optionsControlPrecisionAndNotation() throws {
    let t = try Tensor([[1.234, -5.678]])
    #expect(t.formatted(TensorPrintOptions(precision: 2)) == "tensor([[ 1.23, -5.68]], shape: [1, 2])")
    #expect(
      t.formatted(TensorPrintOptions(precision: 1, scientific: true)) == "tensor([[ 1.2e+00, -5.7e+00]], shape: [1, 2])"
    )
    #expect(
      Tensor([1e-5, 1]).formatted(TensorPrintOptions(scientific: false)) == "tensor([0.0000, 1.0000], shape: [2])")
    let small = TensorPrintOptions(threshold: 5, edgeItems: 1)
    #expect(try Tensor.arange(1, 7).formatted(small) == "tensor([1.0000,  ..., 6.0000], shape: [6])")
  }

  @Test func debugDescriptionShowsTheGraphState() throws {
    let x = Tensor([1, 2]).requiringGrad()
    #expect(x.debugDescription == "tensor([1.0000, 2.0000], shape: [2], op: \"leaf\", requiresGrad: true)")
    let y = try x * 2
    #expect(y.debugDescription == "tensor([2.0000, 4.0000], shape: [2], op: \"mul\", requiresGrad: true)")
    #expect(Tensor(scalar: 1).debugDescription == "tensor(1.0000, requiresGrad: false)")
  }
}
