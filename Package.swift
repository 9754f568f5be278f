// swift-tools-version:6.0
// dpq: Deep Progressive Quantization toolkit and REPL. Targets and their direction of
// dependencies follow ../shared/DESIGN.md section 2.
import PackageDescription

// Numeric targets are optimised even in debug builds: plain `swift test` would otherwise run
// the tensor engine and quantizers tens of times slower (DESIGN.md section 9, brief).
let optimised: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
  name: "dpq",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "dpq", targets: ["dpq"]),
    .library(name: "DPQ", targets: ["DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
                   providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
                   providers: [.apt(["zlib1g-dev"])]),
    // PNG and JPEG through Debian's libpng and libjpeg-turbo (the decoders Pillow uses).
    .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs",
                   providers: [.apt(["libpng-dev", "libjpeg62-turbo-dev"])]),
    .systemLibrary(name: "CReadline", path: "Sources/CReadline",
                   providers: [.apt(["libreadline-dev"])]),

    .target(name: "GnuplotBridge", path: "Sources/GnuplotBridge",
            cxxSettings: [.unsafeFlags(["-std=c++17"])],
            linkerSettings: [.linkedLibrary("boost_iostreams"), .linkedLibrary("stdc++")]),

    .target(name: "DPQTensor", dependencies: ["COpenBLAS"], swiftSettings: optimised),
    .target(name: "DPQNN", dependencies: ["DPQTensor"], swiftSettings: optimised),
    .target(name: "DPQData", dependencies: ["DPQTensor", "CZlib", "CImageCodecs"], swiftSettings: optimised),
    .target(name: "DPQQuantization", dependencies: ["DPQTensor", "DPQNN", "DPQData", "COpenBLAS"],
            swiftSettings: optimised),
    .target(name: "DPQRetrieval", dependencies: ["DPQTensor", "DPQData", "DPQQuantization", "COpenBLAS"], swiftSettings: optimised),
    .target(name: "DPQExperiment", dependencies: ["DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval"],
            swiftSettings: optimised),
    .target(name: "DPQPlot", dependencies: ["GnuplotBridge", "DPQTensor", "DPQData", "COpenBLAS"], swiftSettings: optimised),
    .target(name: "DPQScript", dependencies: ["DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval",
                                              "DPQExperiment", "DPQPlot"]),
    .target(name: "DPQRepl", dependencies: ["DPQScript", "DPQPlot", "CReadline"]),

    .executableTarget(name: "dpq", dependencies: [
      "DPQTensor", "DPQNN", "DPQData", "DPQQuantization", "DPQRetrieval", "DPQExperiment", "DPQPlot", "DPQScript",
      "DPQRepl",
      .product(name: "ArgumentParser", package: "swift-argument-parser"),
    ], swiftSettings: optimised),

    .testTarget(name: "DPQTensorTests", dependencies: ["DPQTensor"], swiftSettings: optimised),
    .testTarget(name: "DPQNNTests", dependencies: ["DPQNN", "DPQData"], swiftSettings: optimised),
    .testTarget(name: "DPQDataTests", dependencies: ["DPQData"], swiftSettings: optimised),
    .testTarget(name: "DPQQuantizationTests", dependencies: ["DPQQuantization", "DPQRetrieval"],
                swiftSettings: optimised),
    .testTarget(name: "DPQRetrievalTests", dependencies: ["DPQRetrieval"], swiftSettings: optimised),
    .testTarget(name: "DPQExperimentTests", dependencies: ["DPQExperiment"], swiftSettings: optimised),
    .testTarget(name: "DPQPlotTests", dependencies: ["DPQPlot"], resources: [.copy("Golden")]),
    .testTarget(name: "DPQScriptTests", dependencies: ["DPQScript"], resources: [.copy("Golden")]),
    .testTarget(name: "DPQReplTests", dependencies: ["DPQRepl", "DPQScript"], exclude: ["Fixtures"]),
  ],
  swiftLanguageModes: [.v5]
)
