import ArgumentParser
import WordsmithEngine

@main
struct Wordsmith: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wordsmith",
        abstract: "Build, train and run Transformer and RNN language models on the CPU.",
        discussion: """
            Start with `wordsmith train` (no arguments: trains on WikiText-2 in ./data/wikitext-2 if \
            present, otherwise on a small demo corpus shipped with the tool).
            """,
        version: Wordsmith.version,
        subcommands: [Train.self, Evaluate.self, Generate.self, Bench.self, TranslateTrain.self, Translate.self, Bleu.self, Word2VecCommand.self, Similar.self, Analogy.self, EvaluateVectors.self, Info.self])

    /// The tool's version (`wordsmith --version`, `wordsmith info`).
    static let version = "0.1.0"
}

/// Options every command shares.
struct CommonOptions: ParsableArguments {
    @Flag(name: .long, help: "Say which BLAS library and kernel are used, and more detail.")
    var verbose = false

    func logBackend() {
        if verbose { Console.info(BLASLibrary.summary) }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the version and the compute backend (BLAS library and kernel, cores, C kernels).")

    func run() {
        print("wordsmith \(Wordsmith.version)")
        print(BLASLibrary.summary)
        print("CPU cores used: \(Parallel.coreCount); AVX-512: \(BLASLibrary.cpuHasAVX512 ? "yes" : "no")")
        print("Elementwise and small-product kernels: \(VectorMath.kernelSet)")
    }
}
