import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// Decoding with a trained `Seq2SeqTransformer`: greedy (batched) and beam search, both
/// with key/value caches so that each new word costs one decoder step, not a re-run of the
/// whole prefix.
public struct Translator {
    public let model: Seq2SeqTransformer

    /// One output sentence: target ids without `<bos>` / `<eos>`, the sum of their
    /// log-probabilities (including that of `<eos>` when it was produced), and optionally the
    /// last decoder layer's cross-attention, one row per produced token (`<eos>` included)
    /// over the source tokens (its `<eos>` included).
    public struct Hypothesis: Equatable, Sendable {
        public var tokens: [Int32]
        public var logProbability: Double
        public var finished: Bool
        public var attention: [[Float]]
    }

    public init(model: Seq2SeqTransformer) { self.model = model }

    /// The longest output considered for a source of `n` tokens.
    public static func maxLength(forSource n: Int) -> Int { 2 * n + 10 }

    /// Source ids [S, N] (each sentence followed by `<eos>`, then padding) and its mask.
    func sourceBatch(_ sources: [[Int32]]) -> (ids: IndexTensor, lengths: [Int]) {
        let n = sources.count, s = (sources.map(\.count).max() ?? 0) + 1
        var ids = [Int32](repeating: ParallelCorpus.pad, count: s * n)
        for (j, x) in sources.enumerated() {
            for (p, id) in (x + [ParallelCorpus.eos]).enumerated() { ids[p * n + j] = id }
        }
        return (IndexTensor(shape: [s, n], values: ids), sources.map { $0.count + 1 })
    }

    /// Greedy decoding of many sentences at once: each step feeds every unfinished sentence's
    /// last word through the decoder with its cache and takes the most likely next word.
    public func greedy(_ sources: [[Int32]], withAttention: Bool = false) -> [Hypothesis] {
        if sources.isEmpty { return [] }
        model.eval()
        return withNoGrad {
            let (src, lengths) = sourceBatch(sources)
            let n = sources.count
            let mask = model.paddingMask(src)
            let caches = model.makeDecoderCaches(memory: model.encode(src))
            var out = sources.map { _ in Hypothesis(tokens: [], logProbability: 0, finished: false, attention: []) }
            var last = [Int32](repeating: ParallelCorpus.bos, count: n)
            let limits = sources.map { Translator.maxLength(forSource: $0.count) }
            for _ in 0..<(limits.max() ?? 0) {
                let (logits, attention) = model.decodeStep(IndexTensor(shape: [1, n], values: last), caches: caches,
                                                           sourcePaddingMask: mask, needWeights: withAttention)
                let logProbs = logits.logSoftmax()
                let v = logits.shape[1], s = src.shape[0]
                for j in 0..<n where !out[j].finished {
                    let row = logProbs.data + j * v
                    let best = Translator.argmax(row, v)
                    out[j].logProbability += Double(row[best])
                    if let a = attention { out[j].attention.append(Array(UnsafeBufferPointer(start: a.data + j * s, count: lengths[j]))) }
                    if Int32(best) == ParallelCorpus.eos { out[j].finished = true } else { out[j].tokens.append(Int32(best)) }
                    if out[j].tokens.count >= limits[j] { out[j].finished = true }
                    last[j] = Int32(best)
                }
                if out.allSatisfy(\.finished) { break }
            }
            return out
        }
    }

    /// Greedy decoding the way the example's generate.py decodes: the decoder re-reads the
    /// whole target prefix at every step (no cache). Slow; kept to check the cached path.
    public func greedyWithoutCache(_ source: [Int32]) -> [Int32] {
        model.eval()
        return withNoGrad {
            let (src, _) = sourceBatch([source])
            let mask = model.paddingMask(src)
            let memory = model.encode(src)
            var tokens: [Int32] = []
            for _ in 0..<Translator.maxLength(forSource: source.count) {
                let prefix = [ParallelCorpus.bos] + tokens
                let logits = model.decode(IndexTensor(shape: [prefix.count, 1], values: prefix), memory: memory,
                                          sourcePaddingMask: mask)
                let v = logits.shape[2]
                let best = Int32(Translator.argmax(logits.data + (prefix.count - 1) * v, v))
                if best == ParallelCorpus.eos { break }
                tokens.append(best)
            }
            return tokens
        }
    }

    /// Beam search for one sentence: keeps the `beam` most probable prefixes; a prefix that
    /// ends in `<eos>` is set aside as finished, and the search stops when `beam` are finished
    /// (or at the length limit). The winner maximizes log P / lp(length) with GNMT's length
    /// penalty lp(n) = ((5 + n) / 6)^α (α = 0: plain log-probability). With beam 1 this is
    /// exactly greedy decoding.
    public func beamSearch(_ source: [Int32], beam: Int, lengthPenalty alpha: Double = 0.6,
                           withAttention: Bool = false) -> Hypothesis {
        precondition(beam >= 1, "beam size must be at least 1")
        model.eval()
        return withNoGrad {
            let (src, lengths) = sourceBatch([source])
            let caches = model.makeDecoderCaches(memory: model.encode(src))
            var alive = [Hypothesis(tokens: [], logProbability: 0, finished: false, attention: [])]
            var finished: [Hypothesis] = []
            for _ in 0..<Translator.maxLength(forSource: source.count) {
                let last = alive.map { $0.tokens.last ?? ParallelCorpus.bos }
                let (logits, attention) = model.decodeStep(IndexTensor(shape: [1, alive.count], values: last), caches: caches,
                                                           sourcePaddingMask: nil, needWeights: withAttention)
                let logProbs = logits.logSoftmax()
                let v = logits.shape[1], s = lengths[0]
                // The best 2·beam continuations over all prefixes (enough to fill `beam` even
                // if up to `beam` of them end the sentence).
                var candidates: [(parent: Int, token: Int32, score: Double)] = []
                for (i, h) in alive.enumerated() {
                    for (token, lp) in Translator.top(logProbs.data + i * v, v, count: 2 * beam) {
                        candidates.append((i, token, h.logProbability + Double(lp)))
                    }
                }
                candidates.sort { $0.score != $1.score ? $0.score > $1.score : ($0.parent, $0.token) < ($1.parent, $1.token) }
                var next: [Hypothesis] = [], parents: [Int] = []
                for c in candidates {
                    var h = alive[c.parent]
                    h.logProbability = c.score
                    if let a = attention { h.attention.append(Array(UnsafeBufferPointer(start: a.data + c.parent * s, count: s))) }
                    if c.token == ParallelCorpus.eos {
                        h.finished = true
                        finished.append(h)
                    } else {
                        h.tokens.append(c.token)
                        next.append(h)
                        parents.append(c.parent)
                    }
                    if next.count == beam || finished.count == beam { break }
                }
                if finished.count >= beam || next.isEmpty { break }
                for cache in caches { cache.select(batch: parents) }
                alive = next
            }
            let pool = finished.isEmpty ? alive : finished
            func normalized(_ h: Hypothesis) -> Double {
                h.logProbability / Foundation.pow((5 + Double(h.tokens.count + (h.finished ? 1 : 0))) / 6, alpha)
            }
            // The first of equal scores wins, as greedy's argmax does.
            return pool.dropFirst().reduce(pool[0]) { normalized($1) > normalized($0) ? $1 : $0 }
        }
    }

    /// Index of the largest of `n` values (the first one on ties).
    static func argmax(_ x: UnsafePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for i in 1..<n where x[i] > x[best] { best = i }
        return best
    }

    /// The `count` largest of `n` values with their indices, largest first (lower index first on ties).
    static func top(_ x: UnsafePointer<Float>, _ n: Int, count: Int) -> [(Int32, Float)] {
        var best: [(Int32, Float)] = []
        for i in 0..<n {
            let value = x[i]
            if best.count == count, let worst = best.last, value <= worst.1 { continue }
            var at = best.count
            while at > 0 && best[at - 1].1 < value { at -= 1 }
            best.insert((Int32(i), value), at: at)
            if best.count > count { best.removeLast() }
        }
        return best
    }
}
