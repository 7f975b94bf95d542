import WordsmithEngine

/// A padded batch of sentence pairs, sequence-first as `nn.Transformer` takes them:
///
///     source        [S, B]  x₁ … xₙ <eos> <pad>…
///     targetInput   [T, B]  <bos> y₁ … yₘ <pad>…      (what the decoder reads)
///     targetOutput  [T·B]   y₁ … yₘ <eos> <pad>…      (what it must predict; padding ignored)
public struct TranslationBatch: Sendable {
    public let source: IndexTensor
    public let targetInput: IndexTensor
    public let targetOutput: [Int32]
    /// Positions of the pairs in the list the batch was made from.
    public let indices: [Int]
    /// Non-padding tokens predicted (the loss's denominator) and read from the source.
    public let targetTokens: Int
    public let sourceTokens: Int

    public init(_ pairs: [SentencePair], indices: [Int]) {
        let b = indices.count
        let s = indices.map { pairs[$0].source.count + 1 }.max() ?? 1
        let t = indices.map { pairs[$0].target.count + 1 }.max() ?? 1
        let pad = ParallelCorpus.pad
        var src = [Int32](repeating: pad, count: s * b)
        var input = [Int32](repeating: pad, count: t * b), output = input
        for (j, i) in indices.enumerated() {
            let x = pairs[i].source + [ParallelCorpus.eos]
            for (p, id) in x.enumerated() { src[p * b + j] = id }
            let y = pairs[i].target
            input[j] = ParallelCorpus.bos
            for (p, id) in y.enumerated() {
                input[(p + 1) * b + j] = id
                output[p * b + j] = id
            }
            output[y.count * b + j] = ParallelCorpus.eos
        }
        source = IndexTensor(shape: [s, b], values: src)
        targetInput = IndexTensor(shape: [t, b], values: input)
        targetOutput = output
        self.indices = indices
        targetTokens = indices.reduce(0) { $0 + pairs[$1].target.count + 1 }
        sourceTokens = indices.reduce(0) { $0 + pairs[$1].source.count + 1 }
    }

    /// Batches of `batchSize` pairs of similar length, to limit padding: the pairs are
    /// shuffled with `seed` (when given), sorted stably by source then target length, and cut
    /// into consecutive groups. Shuffle the returned order each epoch for training.
    public static func batches(_ pairs: [SentencePair], batchSize: Int, seed: UInt64? = nil) -> [TranslationBatch] {
        precondition(batchSize > 0, "batch size must be positive")
        var order = Array(pairs.indices)
        if let seed {
            var rng = SplitMix64(seed: seed)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        }
        let sorted = order.enumerated().sorted { a, b in
            let (x, y) = (pairs[a.element], pairs[b.element])
            if x.source.count != y.source.count { return x.source.count < y.source.count }
            if x.target.count != y.target.count { return x.target.count < y.target.count }
            return a.offset < b.offset
        }.map(\.element)
        return stride(from: 0, to: sorted.count, by: batchSize).map { start in
            TranslationBatch(pairs, indices: Array(sorted[start..<min(start + batchSize, sorted.count)]))
        }
    }
}
