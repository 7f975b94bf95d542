import CWordsmithKernels
import Foundation
import WordsmithEngine

/// word2vec (Mikolov et al.): CBOW (predict the centre word from the averaged context) or
/// skip-gram (predict each context word from the centre), trained with negative sampling:
///
///     loss = -log σ(u_o·v_c) - Σ_k log σ(-u_k·v_c),   u_k drawn from unigram^0.75
///
/// following word2vec.c's algorithm (random reduced window, frequent-word subsampling,
/// linearly decaying learning rate) with lock-free ("Hogwild") updates from several threads.
public final class Word2Vec {
    public enum Architecture: String, CaseIterable, Sendable { case cbow, skipgram }

    public struct Options: Sendable {
        public var architecture: Architecture = .cbow
        public var size = 100
        public var window = 5
        public var negative = 5
        public var sample = 1e-3
        public var minCount = 5
        /// Starting learning rate; nil: 0.05 for CBOW, 0.025 for skip-gram (word2vec.c).
        public var alpha: Float? = nil
        public var iterations = 5
        public var threads = Parallel.coreCount
        public var seed: UInt64 = 1
        public init() {}

        public var startingAlpha: Float { alpha ?? (architecture == .cbow ? 0.05 : 0.025) }

        /// The learning rate after `done` of `total` words: linear decay to alpha·1e-4.
        public func alpha(after done: Int, of total: Int) -> Float {
            max(startingAlpha * (1 - Float(done) / Float(total + 1)), startingAlpha * 1e-4)
        }
    }

    public let options: Options
    public let corpus: Word2VecCorpus
    /// Input (word) vectors [V, size]: the embeddings that are saved.
    public private(set) var vectors: [Float]
    /// Output vectors of negative sampling [V, size].
    private var outputs: [Float]
    private let table: UnigramTable
    private let keep: [Float]

    public init(corpus: Word2VecCorpus, options: Options) {
        self.corpus = corpus
        self.options = options
        let v = corpus.words.count, d = options.size
        // word2vec.c: input vectors U(-0.5, 0.5)/size, output vectors zero.
        var state = options.seed &+ 1
        vectors = (0..<(v * d)).map { _ in
            state = state &* 25_214_903_917 &+ 11
            return (Float(state & 0xFFFF) / 65536 - 0.5) / Float(d)
        }
        outputs = [Float](repeating: 0, count: v * d)
        table = UnigramTable(counts: corpus.counts)
        keep = corpus.keepProbabilities(sample: options.sample).map(Float.init)
    }

    /// Progress reported about twice a second: words processed, words/s, current alpha.
    public struct Progress: Sendable {
        public var wordsDone: Int
        public var wordsTotal: Int
        public var wordsPerSecond: Double
        public var alpha: Float
    }

    /// Trains for `options.iterations` passes over the corpus; returns words/s over the run.
    @discardableResult
    public func train(progress: (@Sendable (Progress) -> Void)? = nil) -> Double {
        let opts = options
        let threads = max(1, min(opts.threads, corpus.sentences.count))
        let totalWords = corpus.totalWords * opts.iterations
        let counter = WordCounter()
        let start = Date()
        let sigmoid = SigmoidTable()
        vectors.withUnsafeMutableBufferPointer { syn0 in
        outputs.withUnsafeMutableBufferPointer { syn1 in
        table.slots.withUnsafeBufferPointer { tableSlots in
        keep.withUnsafeBufferPointer { keepProbability in
        sigmoid.values.withUnsafeBufferPointer { sigmoidValues in
            let shared = Shared(syn0: syn0.baseAddress!, syn1: syn1.baseAddress!, table: tableSlots,
                                keep: keepProbability, sigmoid: sigmoidValues.baseAddress!)
            let sentences = corpus.sentences
            let reporter = progress.map { report in
                ProgressReporter(interval: 0.5) {
                    let done = counter.value
                    report(Progress(wordsDone: done, wordsTotal: totalWords,
                                    wordsPerSecond: Double(done) / max(Date().timeIntervalSince(start), 1e-9),
                                    alpha: opts.alpha(after: done, of: totalWords)))
                }
            }
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let lo = sentences.count * t / threads, hi = sentences.count * (t + 1) / threads
                let worker = Worker(options: opts, shared: shared, seed: opts.seed &+ UInt64(t) &* 7919,
                                    totalWords: totalWords, counter: counter)
                for _ in 0..<opts.iterations {
                    for s in lo..<hi { worker.train(sentences[s]) }
                }
                worker.flush()
            }
            reporter?.stop()
        }
        }
        }
        }
        }
        return Double(totalWords) / Date().timeIntervalSince(start)
    }

    /// The trained vectors with their words.
    public var keyedVectors: KeyedVectors {
        KeyedVectors(words: corpus.words, dimension: options.size, vectors: vectors)
    }
}

/// Pointers the worker threads share. Updates race by design (Hogwild, as word2vec.c):
/// collisions on 100-float rows are rare and harmless for SGD.
struct Shared: @unchecked Sendable {
    let syn0: UnsafeMutablePointer<Float>
    let syn1: UnsafeMutablePointer<Float>
    let table: UnsafeBufferPointer<Int32>
    let keep: UnsafeBufferPointer<Float>
    /// σ table (a raw pointer: passing the array would retain/release one shared buffer from
    /// every thread on every update, bouncing its cache line between cores).
    let sigmoid: UnsafePointer<Float>
}

/// Words processed by all threads, for the shared learning-rate decay.
final class WordCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add(_ n: Int) -> Int { lock.withLock { count += n; return count } }
}

/// σ(x) from a 1000-entry table over [-6, 6] (word2vec.c's EXP_TABLE), saturating outside.
struct SigmoidTable: Sendable {
    static let maxExp: Float = 6
    static let size = 1000
    let values: [Float]
    init() {
        values = (0..<Self.size).map { i in
            let x = (Float(i) / Float(Self.size) * 2 - 1) * Self.maxExp
            return 1 / (1 + Foundation.expf(-x))
        }
    }
}

/// One thread's training state: its random stream and scratch buffers.
final class Worker {
    let options: Word2Vec.Options
    let shared: Shared
    var random: UInt64
    let totalWords: Int
    let counter: WordCounter
    var alpha: Float
    var wordsSinceUpdate = 0
    /// The CBOW context mean (h) and the error to add back into the inputs (e), [size] each.
    let hidden: UnsafeMutablePointer<Float>
    let hiddenError: UnsafeMutablePointer<Float>

    init(options: Word2Vec.Options, shared: Shared, seed: UInt64, totalWords: Int, counter: WordCounter) {
        self.options = options
        self.shared = shared
        random = seed
        self.totalWords = totalWords
        self.counter = counter
        alpha = options.startingAlpha
        hidden = .allocate(capacity: options.size)
        hiddenError = .allocate(capacity: options.size)
    }

    deinit {
        hidden.deallocate()
        hiddenError.deallocate()
    }

    @inline(__always)
    func nextRandom() -> UInt64 {
        random = random &* 25_214_903_917 &+ 11
        return random
    }

    /// Updates the learning rate every 10,000 words: linear decay to alpha·1e-4.
    func count(_ n: Int) {
        wordsSinceUpdate += n
        if wordsSinceUpdate >= 10_000 { flush() }
    }

    func flush() {
        let done = counter.add(wordsSinceUpdate)
        wordsSinceUpdate = 0
        alpha = options.alpha(after: done, of: totalWords)
    }

    func train(_ sentence: [Int32]) {
        // Frequent-word subsampling.
        var kept: [Int32] = []
        kept.reserveCapacity(sentence.count)
        for w in sentence {
            let p = shared.keep[Int(w)]
            if p >= 1 || p >= Float(nextRandom() & 0xFFFF) / 65536 { kept.append(w) }
        }
        count(sentence.count)
        let d = options.size, h = hidden, e = hiddenError
        for position in kept.indices {
            let reduced = Kernels.below(options.window, bits: nextRandom() >> 16)  // random reduced window
            let lo = max(0, position - options.window + reduced)
            let hi = min(kept.count - 1, position + options.window - reduced)
            let center = Int(kept[position])
            switch options.architecture {
            case .cbow:
                h.update(repeating: 0, count: d)
                var contextCount = 0
                for c in lo...hi where c != position {
                    VectorMath.axpy(1, shared.syn0 + Int(kept[c]) * d, h, count: d)
                    contextCount += 1
                }
                if contextCount == 0 { continue }
                VectorMath.scale(h, by: 1 / Float(contextCount), count: d)
                e.update(repeating: 0, count: d)
                negativeSampling(input: h, target: center, error: e)
                for c in lo...hi where c != position {
                    VectorMath.axpy(1, e, shared.syn0 + Int(kept[c]) * d, count: d)
                }
            case .skipgram:
                for c in lo...hi where c != position {
                    let input = shared.syn0 + Int(kept[c]) * d
                    e.update(repeating: 0, count: d)
                    negativeSampling(input: input, target: center, error: e)
                    VectorMath.axpy(1, e, input, count: d)
                }
            }
        }
    }

    /// One positive (`target`, label 1) and `negative` sampled words (label 0):
    /// g = (label - σ(u·x)) α;  error += g u;  u += g x.
    @inline(__always)
    func negativeSampling(input x: UnsafeMutablePointer<Float>, target: Int, error: UnsafeMutablePointer<Float>) {
        let d = options.size
        for k in 0...options.negative {
            let word: Int, label: Float
            if k == 0 {
                word = target
                label = 1
            } else {
                word = Int(shared.table[Kernels.below(shared.table.count, bits: nextRandom() >> 16)])
                if word == target { continue }
                label = 0
            }
            Self.update(input: x, output: shared.syn1 + word * d, label: label, alpha: alpha,
                        error: error, size: d, sigmoid: shared.sigmoid)
        }
    }

    /// One logistic-regression step on the pair (x, u): the loss -log σ(u·x) for label 1 or
    /// -log σ(-u·x) for label 0 has gradient -(label - σ(u·x)) for the score, so with
    /// g = (label - σ(u·x))·α the step is u += g·x, and g·u is added to the input's error.
    @inline(__always)
    static func update(input x: UnsafePointer<Float>, output u: UnsafeMutablePointer<Float>, label: Float, alpha: Float,
                       error: UnsafeMutablePointer<Float>, size d: Int, sigmoid: UnsafePointer<Float>) {
        let f = ws_dot(x, u, Int32(d))
        let g: Float
        if f > SigmoidTable.maxExp { g = (label - 1) * alpha }
        else if f < -SigmoidTable.maxExp { g = label * alpha }
        else {
            let i = Int((f + SigmoidTable.maxExp) * (Float(SigmoidTable.size) / SigmoidTable.maxExp / 2))
            g = (label - sigmoid[min(i, SigmoidTable.size - 1)]) * alpha
        }
        ws_ns_update(g, u, error, x, Int32(d))
    }
}

/// Division-free random integers for the sampling loops (the dot product and update of
/// negative sampling are the C kernels `ws_dot` / `ws_ns_update`, dispatched to AVX-512 or
/// AVX2; the remaining vector work uses the engine's `VectorMath`).
enum Kernels {
    /// A uniform integer in 0..<n from 32 random bits, by multiply-shift (no division).
    @inline(__always)
    static func below(_ n: Int, bits: UInt64) -> Int {
        Int(((bits & 0xFFFF_FFFF) &* UInt64(n)) >> 32)
    }
}

/// Calls `tick` periodically on a background thread until stopped.
final class ProgressReporter: @unchecked Sendable {
    private let timer: DispatchSourceTimer
    init(interval: Double, _ tick: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler(handler: tick)
        timer.resume()
    }
    func stop() { timer.cancel() }
}
