// swift-tools-version:6.0
// The language models' output layer and loss (linearCrossEntropy) at the default training shape,
// against its three matrix products alone, in one run. Not part of CI.
//
//   swift run -c release --package-path benchmarks/output-layer
import Foundation
import PackageDescription

// The Wordsmith checkout two folders up; a path dependency is named by its folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let package = Package(
    name: "output-layer",
    dependencies: [.package(path: root.path)],
    targets: [
        .executableTarget(
            name: "output-layer",
            dependencies: [.product(name: "WordsmithEngine", package: root.lastPathComponent)]),
    ]
)
