// swift-tools-version:6.0
// Speed of drawing dropout masks: one call (parts on all cores, each from a jump ahead) against
// the same draws in calls too short to be split (one core), in one run. Not part of CI.
//
//   swift run -c release --package-path benchmarks/dropout-mask
import Foundation
import PackageDescription

// The Wordsmith checkout two folders up; a path dependency is named by its folder.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let package = Package(
    name: "dropout-mask",
    dependencies: [.package(path: root.path)],
    targets: [
        .executableTarget(
            name: "dropout-mask",
            dependencies: [.product(name: "WordsmithEngine", package: root.lastPathComponent)]),
    ]
)
