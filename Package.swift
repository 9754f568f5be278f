// swift-tools-version:6.0
// dpq: Deep Progressive Quantization toolkit and REPL. Targets and their direction of
// dependencies follow ../shared/DESIGN.md section 2.
import PackageDescription

let package = Package(
  name: "dpq",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "dpq", targets: ["dpq"]),
    // `import DPQ` (the umbrella target) brings the five library modules.
    .library(name: "DPQ", targets: ["DPQ"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .systemLibrary(
      name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]),
    // PNG and JPEG through Debian's libpng and libjpeg-turbo (the decoders Pillow uses).
    .systemLibrary(
      name: "CImageCodecs", path: "Sources/CImageCodecs",
      providers: [.apt(["libpng-dev", "libjpeg62-turbo-dev"])]),
    .systemLibrary(
      name: "CReadline", path: "Sources/CReadline",
      providers: [.apt(["libreadline-dev"])]),

    .target(
      name: "GnuplotBridge", path: "Sources/GnuplotBridge",
      linkerSettings: [.linkedLibrary("boost_iostreams"), .linkedLibrary("stdc++")]),

    // Direct convolution kernels in C with AVX-512 intrinsics, picked at run time (DPQNN's Conv2D).
    .target(name: "CKernels", path: "Sources/CKernels"),

    // DPQTensor compiles clean as Swift 6, but built in Swift 6 mode its small elementwise and
    // recording ops ran 5x slower (a composite tanh of [128, 300]: 0.70 ms against 0.10 ms in
    // Swift 5 mode; the DPQ training step 0.93x); it stays in Swift 5 mode until the cause is found.
    .target(name: "DPQTensor", dependencies: ["COpenBLAS"], swiftSettings: [.swiftLanguageMode(.v5)]),
    .target(name: "DPQNN", dependencies: ["DPQTensor", "CKernels"]),
    .target(name: "DPQData", dependencies: ["DPQTensor", "CZlib", "CImageCodecs"]),
    .target(name: "DPQQuantization", dependencies: ["DPQTensor", "DPQNN", "DPQData", "COpenBLAS", "CKernels"]),
    .target(name: "DPQRetrieval", dependencies: ["DPQTensor", "DPQData", "DPQQuantization", "COpenBLAS"]),
    .target(name: "DPQ", dependencies: ["DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval"]),
    .target(name: "DPQExperiment", dependencies: ["DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval"]),
    .target(name: "DPQPlot", dependencies: ["GnuplotBridge", "DPQTensor", "DPQData", "COpenBLAS"]),
    // The language (lexer, parser, interpreter, values, registry, help) on tensors alone, and the
    // bindings of the libraries to it.
    .target(name: "DPQLanguage", dependencies: ["DPQTensor"]),
    .target(
      name: "DPQBindings",
      dependencies: [
        "DPQLanguage", "DPQTensor", "DPQNN", "DPQData", "DPQQuantization",
        "DPQRetrieval", "DPQExperiment", "DPQPlot",
      ]),
    .target(name: "DPQRepl", dependencies: ["DPQLanguage", "DPQBindings", "DPQPlot", "CReadline"]),

    .executableTarget(
      name: "dpq",
      dependencies: [
        "DPQ", "DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval", "DPQExperiment", "DPQPlot",
        "DPQLanguage", "DPQBindings",
        "DPQRepl",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    .testTarget(name: "DPQTensorTests", dependencies: ["DPQTensor"]),
    .testTarget(name: "DPQNNTests", dependencies: ["DPQNN", "DPQData", "CKernels"]),
    .testTarget(name: "DPQDataTests", dependencies: ["DPQData"]),
    .testTarget(name: "DPQQuantizationTests", dependencies: ["DPQQuantization", "DPQRetrieval"]),
    .testTarget(name: "DPQRetrievalTests", dependencies: ["DPQRetrieval"]),
    .testTarget(name: "DPQExperimentTests", dependencies: ["DPQExperiment"]),
    .testTarget(name: "DPQPlotTests", dependencies: ["DPQPlot"], resources: [.copy("Golden")]),
    .testTarget(
      name: "DPQScriptTests", dependencies: ["DPQLanguage", "DPQBindings", "DPQRepl"], resources: [.copy("Golden")]),
    .testTarget(
      name: "DPQReplTests", dependencies: ["DPQRepl", "DPQLanguage", "DPQBindings", "DPQTensor"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v6],
  cxxLanguageStandard: .cxx17
)
