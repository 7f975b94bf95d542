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

    /// Draws an id from one row of scores. The unnormalized probabilities exp(s/T - max) of
    /// every word go into one scratch buffer from the buffer pool, through the vectorized exp
    /// kernel (fresh 33,278-element arrays for every word page-faulted each time); top-k and
    /// top-p then narrow the candidates, most likely first.
    public func sample(_ scores: UnsafePointer<Float>, count n: Int, generator: Generator) -> Int32 {
        let scratch = Storage(count: n, zeroed: false)  // every element written below
        defer { withExtendedLifetime(scratch) {} }  // p points into it until the draw
        let p = scratch.base, inverse = 1 / max(temperature, 1e-6)
        for i in 0..<n { p[i] = scores[i] * inverse }
        let total = VectorMath.expShifted(p, p, count: n, shift: -VectorMath.max(p, count: n))
        func mass(_ ids: [Int]) -> Double { ids.reduce(0) { $0 + Double(p[$1]) } }

        var candidates: [Int]? = nil  // nil: every word, in id order
        if let k = topK, k > 0, k < n {
            candidates = Array((0..<n).sorted { p[$0] > p[$1] }.prefix(k))
        }
        if let q = topP, q > 0, q < 1 {
            let ordered = candidates ?? (0..<n).sorted { p[$0] > p[$1] }
            let available = candidates.map(mass) ?? total
            var kept: [Int] = [], covered = 0.0
            for i in ordered {
                kept.append(i)
                covered += Double(p[i]) / available
                if covered >= Double(q) { break }
            }
            candidates = kept
        }

        let r = Double(generator.nextUnitFloat()) * (candidates.map(mass) ?? total)
        return candidates.map { Self.draw($0, p, r) } ?? Self.draw(0..<n, p, r)
    }

    /// The first id in `ids` at which the running sum of `p` passes `r` (the last id if
    /// rounding leaves it short).
    private static func draw<S: Sequence<Int>>(_ ids: S, _ p: UnsafePointer<Float>, _ r: Double) -> Int32 {
        var rest = r, last = 0
        for i in ids {
            rest -= Double(p[i])
            if rest < 0 { return Int32(i) }
            last = i
        }
        return Int32(last)
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
