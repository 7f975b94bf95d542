import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// Sampling words from a language model, one at a time: scores / temperature, optionally
/// restricted to the `topK` most likely words and to the smallest set whose probability
/// reaches `topP`, then drawn with the seeded generator.
public struct Sampler {
    public var temperature: Float = 1
    public var topK: Int? = nil
    public var topP: Float? = nil

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float? = nil) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// Draws an id from one row of scores.
    public func sample(_ scores: UnsafePointer<Float>, count n: Int, generator: Generator) -> Int32 {
        let filtered = (topK.map { $0 > 0 && $0 < n } ?? false) || (topP.map { $0 > 0 && $0 < 1 } ?? false)
        if !filtered { return sampleAll(scores, count: n, generator: generator) }
        var candidates = Array(0..<n)
        let logits = (0..<n).map { scores[$0] / max(temperature, 1e-6) }
        if let k = topK, k > 0, k < n {
            candidates = Array(candidates.sorted { logits[$0] > logits[$1] }.prefix(k))
        }
        let m = candidates.map { logits[$0] }.max() ?? 0
        var probs = candidates.map { Double(Foundation.exp(logits[$0] - m)) }
        var total = probs.reduce(0, +)
        if let p = topP, p > 0, p < 1 {
            let order = probs.indices.sorted { probs[$0] > probs[$1] }
            var kept: [Int] = [], mass = 0.0
            for i in order {
                kept.append(i)
                mass += probs[i] / total
                if mass >= Double(p) { break }
            }
            candidates = kept.map { candidates[$0] }
            probs = kept.map { probs[$0] }
            total = probs.reduce(0, +)
        }
        var r = Double(generator.nextUnitFloat()) * total
        for (c, pr) in zip(candidates, probs) {
            r -= pr
            if r < 0 { return Int32(c) }
        }
        return Int32(candidates.last ?? 0)
    }

    /// Sampling from the whole distribution (no top-k or top-p), once per generated word: the
    /// exponentials in the vectorized kernel, into a scratch buffer from the buffer pool (a new
    /// 33,278-float array per word was a fresh, page-faulted allocation each time).
    func sampleAll(_ scores: UnsafePointer<Float>, count n: Int, generator: Generator) -> Int32 {
        let scratch = Tensor(zeros: [n])
        let p = scratch.data, inverse = 1 / max(temperature, 1e-6)
        for i in 0..<n { p[i] = scores[i] * inverse }
        let total = VectorMath.expShifted(p, p, count: n, shift: -VectorMath.max(p, count: n))
        var r = Double(generator.nextUnitFloat()) * total
        for i in 0..<n {
            r -= Double(p[i])
            if r < 0 { return Int32(i) }
        }
        return Int32(n - 1)
    }
}

/// Generates text from a language model. The Transformer uses its key/value cache (the
/// example re-ran the whole prefix, without a causal mask); `useCache: false` re-runs the
/// prefix with the mask instead, and must produce the same tokens.
public struct TextGenerator {
    public let model: LanguageModel
    public var sampler: Sampler
    public var useCache = true

    public init(model: LanguageModel, sampler: Sampler, useCache: Bool = true) {
        self.model = model
        self.sampler = sampler
        self.useCache = useCache
    }

    /// Continues `prompt` (ids, at least one) with `count` sampled ids, calling `emit` for each.
    public func generate(prompt: [Int32], count: Int, generator: Generator, emit: (Int32) -> Void) {
        precondition(!prompt.isEmpty, "generation needs at least one prompt token")
        model.module.eval()
        withNoGrad {
            let v = model.config.ntoken
            switch model {
            case .recurrent(let m):
                var state = m.initialState(batch: 1)
                var (scores, next) = m.logits(IndexTensor(shape: [prompt.count, 1], values: prompt), state)
                state = next
                var row = scores.data + (prompt.count - 1) * v
                for _ in 0..<count {
                    let id = sampler.sample(row, count: v, generator: generator)
                    emit(id)
                    (scores, next) = m.logits(IndexTensor(shape: [1, 1], values: [id]), state)
                    state = next
                    row = scores.data
                }
            case .transformer(let m):
                var history = prompt
                let caches = m.makeCaches()
                var scores = useCache ? m.step(IndexTensor(shape: [prompt.count, 1], values: prompt), caches: caches)
                    : m.logits(IndexTensor(shape: [prompt.count, 1], values: prompt))
                for _ in 0..<count {
                    let id = sampler.sample(scores.data + (scores.shape[0] - 1) * v, count: v, generator: generator)
                    emit(id)
                    history.append(id)
                    scores = useCache ? m.step(IndexTensor(shape: [1, 1], values: [id]), caches: caches)
                        : m.logits(IndexTensor(shape: [history.count, 1], values: history))
                }
            }
        }
    }
}
