// swift-tools-version:6.0
import PackageDescription

// Layers of the system, each a module that only sees the ones below it:
//   WordsmithEngine  tensors, autodiff, kernels (BLAS / SIMD), random numbers, safetensors
//   WordsmithNN      modules and layers, losses, optimizers
//   WordsmithModels  the language models and the encoder-decoder Transformer
//   WordsmithLM      word-level language modeling: corpus, batching, training, generation
//   WordsmithTranslation  encoder-decoder translation: parallel corpus, training, beam search, BLEU
//   WordsmithWord2Vec  word2vec embeddings (CBOW, skip-gram, negative sampling) and their evaluation
//   wordsmith        the command-line tool
let package = Package(
    name: "Wordsmith",
    products: [
        .library(name: "WordsmithEngine", targets: ["WordsmithEngine"]),
        .library(name: "WordsmithNN", targets: ["WordsmithNN"]),
        .library(name: "WordsmithModels", targets: ["WordsmithModels"]),
        .library(name: "WordsmithLM", targets: ["WordsmithLM"]),
        .library(name: "WordsmithTranslation", targets: ["WordsmithTranslation"]),
        .library(name: "WordsmithWord2Vec", targets: ["WordsmithWord2Vec"]),
        .executable(name: "wordsmith", targets: ["wordsmith"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .target(name: "WordsmithEngine", dependencies: ["CWordsmithKernels"]),
        .target(name: "WordsmithNN", dependencies: ["WordsmithEngine"]),
        .target(name: "WordsmithModels", dependencies: ["WordsmithNN", "WordsmithEngine"]),
        .target(
            name: "WordsmithLM", dependencies: ["WordsmithModels", "WordsmithNN", "WordsmithEngine"],
            resources: [.copy("DemoCorpus")]),
        .target(
            name: "WordsmithTranslation",
            dependencies: ["WordsmithLM", "WordsmithModels", "WordsmithNN", "WordsmithEngine"]),
        .target(name: "CWordsmithKernels"),
        .target(name: "WordsmithWord2Vec", dependencies: ["WordsmithEngine", "CWordsmithKernels"]),
        .executableTarget(
            name: "wordsmith",
            dependencies: [
                "WordsmithLM", "WordsmithTranslation", "WordsmithWord2Vec", "WordsmithModels", "WordsmithNN", "WordsmithEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "WordsmithEngineTests", dependencies: ["WordsmithEngine", "CWordsmithKernels"]),
        .testTarget(name: "WordsmithNNTests", dependencies: ["WordsmithNN", "WordsmithEngine"]),
        .testTarget(
            name: "WordsmithModelsTests",
            dependencies: ["WordsmithModels", "WordsmithNN", "WordsmithEngine"]),
        .testTarget(
            name: "WordsmithLMTests",
            dependencies: ["WordsmithLM", "WordsmithModels", "WordsmithNN", "WordsmithEngine"]),
        .testTarget(
            name: "WordsmithTranslationTests",
            dependencies: ["WordsmithTranslation", "WordsmithLM", "WordsmithModels", "WordsmithEngine"]),
        .testTarget(name: "WordsmithWord2VecTests", dependencies: ["WordsmithWord2Vec", "WordsmithEngine", "CWordsmithKernels"]),
        .testTarget(name: "wordsmithCLITests", dependencies: ["WordsmithLM", "WordsmithTranslation"]),
    ]
)
