import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// Throughput of the example's training step, evaluation and generation for one config
/// (`wordsmith bench`). Speed is measured here, never asserted in tests.
public struct LanguageModelBenchmark {
    public struct Result: Codable, Sendable {
        public var model: String
        public var vocabulary: Int
        public var trainTokensPerSecond: Double
        public var evalTokensPerSecond: Double
        public var generateTokensPerSecond: Double
        /// Transformer only, when asked: generation the way the example's generate.py does it,
        /// re-running the whole prefix for every new word (no key/value cache).
        public var generateFullPrefixTokensPerSecond: Double?
        public var peakRSSBytes: Int
        /// Model FLOPs per training token (forward + backward), from the layer sizes.
        public var trainFLOPPerToken: Double
        public var achievedGFLOPPerSecond: Double
        /// The limit: this machine's matrix-product rate on the decoder's shapes.
        public var limitGFLOPPerSecond: Double
        /// Achieved / limit.
        public var fractionOfLimit: Double
        /// Where it ran: the matrix-product backend (BLAS library and kernel, or built-in),
        /// the C kernels' instruction set and the cores used, so that a saved result says so.
        public var gemmBackend: String
        public var kernels: String
        public var cores: Int

        enum CodingKeys: String, CodingKey {
            case model, vocabulary
            case trainTokensPerSecond = "train_tokens_per_s"
            case evalTokensPerSecond = "eval_tokens_per_s"
            case generateTokensPerSecond = "generate_tokens_per_s"
            case generateFullPrefixTokensPerSecond = "generate_full_prefix_tokens_per_s"
            case peakRSSBytes = "peak_rss_bytes"
            case trainFLOPPerToken = "train_flop_per_token"
            case achievedGFLOPPerSecond = "achieved_gflop_per_s"
            case limitGFLOPPerSecond = "limit_gflop_per_s"
            case fractionOfLimit = "fraction_of_limit"
            case gemmBackend = "gemm_backend"
            case kernels, cores
        }
    }

    public var config: LanguageModelConfig
    public var batchSize = 20
    public var evalBatchSize = 10
    public var bptt = 35
    public var batches = 10
    public var generateWords = 1000
    /// Also time the Transformer's generation without the cache (slow: O(n²) in the length).
    public var measureFullPrefixGeneration = false
    /// The FLOP limit for the fraction-of-limit figure; nil: measured by `measureLimit()`.
    public var limitGFLOPPerSecond: Double?

    public init(config: LanguageModelConfig) {
        self.config = config
    }

    /// Forward FLOPs per token: 2 per multiply-add of every matrix product.
    public var forwardFLOPPerToken: Double {
        let v = Double(config.ntoken), e = Double(config.emsize), h = Double(config.nhid)
        if config.isTransformer {
            // QKV and output projections, the two feed-forward layers, QKᵀ and AV over an
            // average causal context of bptt/2 positions, and the decoder.
            let perLayer = 2 * (4 * e * e + 2 * e * h) + 2 * 2 * e * Double(bptt) / 2
            return Double(config.nlayers) * perLayer + 2 * e * v
        }
        let gates = Double(config.recurrentKind?.gateCount ?? 1) * h
        var total = 2 * h * v
        for l in 0..<config.nlayers { total += 2 * gates * ((l == 0 ? e : h) + h) }
        return total
    }

    /// Runs the measurements on `stream` (token ids), which must hold enough tokens.
    public func run(stream: [Int32]) throws -> Result {
        let model = LanguageModel(config, generator: Generator(seed: 1111))
        let train = BatchedStream(stream, batchSize: batchSize)
        let trainer = Trainer(model: model, learningRate: 20, clip: 0.25, bptt: bptt)
        // Warm up (buffers, BLAS threads), then time `batches` steps.
        try trainer.trainEpoch(train, logInterval: Int.max, maxBatches: 2) { _ in }
        var start = Date()
        try trainer.trainEpoch(train, logInterval: Int.max, maxBatches: batches) { _ in }
        let trainRate = Double(batches * batchSize * bptt) / Date().timeIntervalSince(start)

        let evalRows = batches * bptt + 1
        let evalStream = BatchedStream(Array(stream.prefix(evalRows * evalBatchSize)), batchSize: evalBatchSize)
        _ = Trainer.evaluate(model, BatchedStream(Array(stream.prefix(2 * bptt * evalBatchSize)), batchSize: evalBatchSize), bptt: bptt)
        start = Date()
        _ = Trainer.evaluate(model, evalStream, bptt: bptt)
        let evalRate = Double((evalStream.rows - 1) * evalBatchSize) / Date().timeIntervalSince(start)

        start = Date()
        var produced = 0
        TextGenerator(model: model, sampler: Sampler()).generate(prompt: [0], count: generateWords, generator: Generator(seed: 1)) { _ in produced += 1 }
        let generateRate = Double(produced) / Date().timeIntervalSince(start)
        var fullPrefixRate: Double?
        if measureFullPrefixGeneration && config.isTransformer {
            start = Date()
            produced = 0
            TextGenerator(model: model, sampler: Sampler(), useCache: false)
                .generate(prompt: [0], count: generateWords, generator: Generator(seed: 1)) { _ in produced += 1 }
            fullPrefixRate = Double(produced) / Date().timeIntervalSince(start)
        }

        let flop = 3 * forwardFLOPPerToken
        let gflops = flop * trainRate / 1e9
        let limit = limitGFLOPPerSecond ?? measureLimit()
        return Result(model: config.kind, vocabulary: config.ntoken, trainTokensPerSecond: trainRate,
                      evalTokensPerSecond: evalRate, generateTokensPerSecond: generateRate,
                      generateFullPrefixTokensPerSecond: fullPrefixRate,
                      peakRSSBytes: Self.peakResidentBytes(), trainFLOPPerToken: flop,
                      achievedGFLOPPerSecond: gflops, limitGFLOPPerSecond: limit, fractionOfLimit: gflops / limit,
                      gemmBackend: BLASLibrary.backendName,
                      kernels: VectorMath.kernelSet, cores: Parallel.coreCount)
    }

    /// GFLOP/s of the three matrix products of this config's output layer (scores = H Wᵀ,
    /// dH = dS W, dW = dSᵀ H) over one batch on this machine: the work that dominates a step,
    /// done by the GEMM backend alone, is the most a training step can reach here.
    public func measureLimit() -> Double {
        Self.decoderGEMMRate(tokens: batchSize * bptt, hidden: config.nhid, vocabulary: config.ntoken)
    }

    static func decoderGEMMRate(tokens: Int, hidden: Int, vocabulary: Int) -> Double {
        let h = Tensor.uniform([tokens, hidden], low: -1, high: 1, generator: Generator(seed: 1))
        let w = Tensor.uniform([vocabulary, hidden], low: -1, high: 1, generator: Generator(seed: 2))
        let s = Tensor(zeros: [tokens, vocabulary]), dh = Tensor(zeros: [tokens, hidden]), dw = Tensor(zeros: [vocabulary, hidden])
        func products() {
            GEMM.sgemm(transA: false, transB: true, m: tokens, n: vocabulary, k: hidden, a: h.data, lda: hidden,
                       b: w.data, ldb: hidden, c: s.data, ldc: vocabulary)
            GEMM.sgemm(transA: false, transB: false, m: tokens, n: hidden, k: vocabulary, a: s.data, lda: vocabulary,
                       b: w.data, ldb: hidden, beta: 1, c: dh.data, ldc: hidden)
            GEMM.sgemm(transA: true, transB: false, m: vocabulary, n: hidden, k: tokens, a: s.data, lda: vocabulary,
                       b: h.data, ldb: hidden, beta: 1, c: dw.data, ldc: hidden)
        }
        products()  // warm-up: threads, page faults
        let repeats = 3
        let start = Date()
        for _ in 0..<repeats { products() }
        let flop = Double(repeats) * 3 * 2 * Double(tokens) * Double(hidden) * Double(vocabulary)
        return flop / Date().timeIntervalSince(start) / 1e9
    }

    /// Peak resident set size of this process (VmHWM from /proc/self/status; 0 if unknown).
    public static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
