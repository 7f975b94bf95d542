import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels

/// `wordsmith bench`: throughput of the example's default configurations.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure training, evaluation and generation speed of the default models.",
        discussion: """
            Uses the example's default sizes (emsize 200, nhid 200, 2 layers, 2 heads, batch 20, \
            bptt 35) and a 33,278-word vocabulary: WikiText-2's when --data is given, else random \
            token ids. Run the release build: `swift run -c release wordsmith bench`.
            """)

    @Option(help: "LSTM, GRU, RNN_TANH, RNN_RELU, Transformer, or all (LSTM, GRU, RNN_TANH, Transformer).")
    var model = "all"
    @Option(help: "Corpus folder whose train.txt gives the tokens (default: random ids over 33,278 words).")
    var data: String?
    @Option(help: "Timed training steps (after 2 warm-up steps).")
    var batches = 10
    @Option(help: "Words to generate for the generation speed.")
    var words = 1000
    @Flag(name: .customLong("full-prefix"), help: "Also time Transformer generation without the key/value cache (re-running the whole prefix per word, as the example's generate.py does) and print the speed-up.")
    var fullPrefix = false
    @Flag(help: "Print one JSON object per model instead of a table.")
    var json = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if batches < 1 { throw ValidationError("--batches must be at least 1") }
        let kinds = ["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "Transformer", "all"]
        if !kinds.contains(model) { throw ValidationError("--model must be one of \(kinds.joined(separator: ", "))") }
    }

    func run() throws {
        common.logBackend()
        var stream: [Int32]
        var vocabulary = 33_278
        if let data {
            let corpus = try Corpus(folder: URL(fileURLWithPath: data))
            stream = corpus.train
            vocabulary = corpus.vocabulary.count
        } else {
            let g = Generator(seed: 7)
            stream = (0..<((batches + 3) * 20 * 35 + 40)).map { _ in Int32(g.int(below: vocabulary)) }
        }
        let kinds = model == "all" ? ["LSTM", "GRU", "RNN_TANH", "Transformer"] : [model]
        // The limit, measured once: every default config has the same output layer.
        let limit = LanguageModelBenchmark(config: LanguageModelConfig(kind: "LSTM", ntoken: vocabulary)).measureLimit()
        if !json {
            print(String(format: "limit: %.1f GFLOP/s", limit)
                  + ", the output layer's three matrix products alone on this machine (\(BLASLibrary.backendName); "
                  + "C kernels \(VectorMath.kernelSet), \(Parallel.coreCount) cores)")
            print("model         train tok/s   eval tok/s    gen tok/s   peak RSS   GFLOP/s   of limit")
        }
        for kind in kinds {
            var bench = LanguageModelBenchmark(config: LanguageModelConfig(
                kind: kind, ntoken: vocabulary, layerDropout: kind == "Transformer" ? 0.1 : nil))
            bench.batches = batches
            bench.generateWords = words
            bench.measureFullPrefixGeneration = fullPrefix
            bench.limitGFLOPPerSecond = limit
            let r = try bench.run(stream: stream)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                print(String(decoding: try encoder.encode(r), as: UTF8.self))
            } else {
                print(padded(kind, 12) + String(format: " %12.0f %12.0f %12.0f %7.0f MB %9.1f %9.1f%%",
                             r.trainTokensPerSecond, r.evalTokensPerSecond, r.generateTokensPerSecond,
                             Double(r.peakRSSBytes) / 1e6, r.achievedGFLOPPerSecond, 100 * r.fractionOfLimit))
                if let full = r.generateFullPrefixTokensPerSecond {
                    print(String(format: "  generation of %d words: %.1f tok/s with the KV cache, %.1f tok/s re-running the prefix: %.1fx faster",
                                 words, r.generateTokensPerSecond, full, r.generateTokensPerSecond / full))
                }
            }
        }
    }
}
