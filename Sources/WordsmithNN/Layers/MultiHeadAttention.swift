import Foundation
import WordsmithEngine

/// Scaled dot-product attention over `heads` heads (PyTorch `nn.MultiheadAttention`,
/// sequence-first [L, N, E]), with the query/key/value projections packed in one
/// `in_proj_weight` [3E, E] as PyTorch stores them:
///
///     head_i = softmax(Q_i K_iᵀ / √d_k + mask) V_i,    out = concat(head_1..h) W_oᵀ + b_o
public final class MultiHeadAttention: Module {
    public let embedDim: Int
    public let heads: Int
    @Key("in_proj_weight") public var inProjWeight: Tensor
    @Key("in_proj_bias") public var inProjBias: Tensor
    @Key("out_proj") public var outProj: Linear
    let attentionDropout: Dropout

    /// PyTorch's initialization: Xavier-uniform packed projection, zero biases.
    public init(embedDim: Int, heads: Int, dropout: Float = 0, generator: Generator) {
        precondition(heads > 0 && embedDim % heads == 0,
                     "embedding size \(embedDim) must be divisible by the number of heads \(heads)")
        self.embedDim = embedDim
        self.heads = heads
        attentionDropout = Dropout(dropout, generator: generator)
        super.init()
        let bound = (6 / Float(embedDim + 3 * embedDim)).squareRoot()
        inProjWeight = Tensor.uniform([3 * embedDim, embedDim], low: -bound, high: bound, generator: generator, requiresGrad: true)
        inProjBias = Tensor(zeros: [3 * embedDim], requiresGrad: true)
        outProj = Linear(embedDim, embedDim, generator: generator)
        outProj.bias?.assign(Tensor(zeros: [embedDim]))
    }

    /// The additive causal mask [n, n]: 0 on and below the diagonal, -inf above, so that
    /// position i attends only to positions ≤ i.
    public static func causalMask(_ n: Int) -> Tensor {
        var m = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in (i + 1)..<max(n, i + 1) { m[i * n + j] = -.infinity } }
        return Tensor(shape: [n, n], values: m)
    }

    /// - Parameters:
    ///   - query: [L, N, E]; `key`, `value`: [S, N, E] (pass the same tensor for self-attention)
    ///   - attentionMask: additive [L, S] (e.g. `causalMask`)
    ///   - keyPaddingMask: [N * S] row-major, true where the key is padding
    ///   - needWeights: also return the attention weights averaged over heads, [N, L, S]
    public func callAsFunction(query: Tensor, key: Tensor, value: Tensor,
                               attentionMask: Tensor? = nil, keyPaddingMask: [Bool]? = nil,
                               needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let e = embedDim, s = key.shape[0], n = query.shape[1]
        precondition(query.rank == 3 && query.shape[2] == e && key.shape == [s, n, e] && value.shape == [s, n, e],
                     "attention expects query [L, N, \(e)], key/value [S, N, \(e)]; got \(query.shape), \(key.shape), \(value.shape)")
        let (q, k, v) = project(query: query, key: key, value: value)
        return attend(q, k, v, attentionMask: attentionMask, keyPaddingMask: keyPaddingMask, needWeights: needWeights)
    }

    /// Self-attention of new positions x [L, N, E] over every position seen so far: the keys
    /// and values of earlier calls are kept in `cache`, so generating token t costs O(t)
    /// instead of re-running the whole prefix. Positions within `x` see each other causally.
    public func callAsFunction(incremental x: Tensor, cache: AttentionCache) -> Tensor {
        let e = embedDim, l = x.shape[0]
        precondition(x.rank == 3 && x.shape[2] == e, "attention expects [L, N, \(e)], got \(x.shape)")
        let qkv = linear(x, weight: inProjWeight, bias: inProjBias)
        let k = qkv.narrow(2, start: e, length: e), v = qkv.narrow(2, start: 2 * e, length: e)
        let past = cache.keys?.shape[0] ?? 0
        let keys = cache.keys.map { Tensor.concat([$0, k], dim: 0) } ?? k
        let values = cache.values.map { Tensor.concat([$0, v], dim: 0) } ?? v
        (cache.keys, cache.values) = (keys, values)
        let s = past + l
        var mask: Tensor? = nil
        if l > 1 {
            var m = [Float](repeating: 0, count: l * s)
            for i in 0..<l { for j in (past + i + 1)..<max(s, past + i + 1) { m[i * s + j] = -.infinity } }
            mask = Tensor(shape: [l, s], values: m)
        }
        return attend(AttentionInput(qkv), AttentionInput(keys), AttentionInput(values), attentionMask: mask,
                      keyPaddingMask: nil, needWeights: false).output
    }

    /// Keys and values of a fixed memory [S, N, E] (the encoder's output), projected once
    /// so that each decoding step only projects its query.
    public func projectMemory(_ memory: Tensor) -> (keys: Tensor, values: Tensor) {
        let e = embedDim
        let kv = linear(memory, weight: inProjWeight.narrow(0, start: e, length: 2 * e),
                        bias: inProjBias.narrow(0, start: e, length: 2 * e))
        return (kv.narrow(2, start: 0, length: e), kv.narrow(2, start: e, length: e))
    }

    /// Attention of `query` [L, N, E] over memory keys and values from `projectMemory`;
    /// the same result as `callAsFunction(query:key:value:)` with key = value = memory.
    public func callAsFunction(query: Tensor, memoryKeys: Tensor, memoryValues: Tensor,
                               keyPaddingMask: [Bool]? = nil, needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
        let e = embedDim, n = query.shape[1], s = memoryKeys.shape[0]
        precondition(query.rank == 3 && query.shape[2] == e && memoryKeys.shape == [s, n, e] && memoryValues.shape == [s, n, e],
                     "attention expects query [L, N, \(e)], memory keys/values [S, N, \(e)]; got \(query.shape), \(memoryKeys.shape)")
        let q = linear(query, weight: inProjWeight.narrow(0, start: 0, length: e), bias: inProjBias.narrow(0, start: 0, length: e))
        return attend(AttentionInput(q), AttentionInput(memoryKeys), AttentionInput(memoryValues),
                      attentionMask: nil, keyPaddingMask: keyPaddingMask, needWeights: needWeights)
    }

    /// softmax(Q Kᵀ / √d_k + mask) V over all heads (one fused op), then the output projection.
    func attend(_ q: AttentionInput, _ k: AttentionInput, _ v: AttentionInput, attentionMask: Tensor?,
                keyPaddingMask: [Bool]?, needWeights: Bool) -> (output: Tensor, weights: Tensor?) {
        let (context, weights) = scaledDotProductAttention(
            query: q, key: k, value: v, embedDim: embedDim, heads: heads, attentionMask: attentionMask,
            keyPaddingMask: keyPaddingMask, dropout: attentionDropout.training ? attentionDropout.p : 0,
            generator: attentionDropout.generator, needWeights: needWeights)
        return (outProj(context), weights)
    }

    /// Where Q, K and V lie after the input projections: one GEMM and no copies for
    /// self-attention (columns of the packed [L, N, 3E] result), two for encoder-decoder
    /// attention (keys and values from the same memory).
    func project(query: Tensor, key: Tensor, value: Tensor) -> (AttentionInput, AttentionInput, AttentionInput) {
        let e = embedDim
        if query === key && key === value {
            let qkv = linear(query, weight: inProjWeight, bias: inProjBias)
            return (AttentionInput(qkv, column: 0), AttentionInput(qkv, column: e), AttentionInput(qkv, column: 2 * e))
        }
        let q = linear(query, weight: inProjWeight.narrow(0, start: 0, length: e), bias: inProjBias.narrow(0, start: 0, length: e))
        if key === value {
            let kv = linear(key, weight: inProjWeight.narrow(0, start: e, length: 2 * e), bias: inProjBias.narrow(0, start: e, length: 2 * e))
            return (AttentionInput(q), AttentionInput(kv, column: 0), AttentionInput(kv, column: e))
        }
        let k = linear(key, weight: inProjWeight.narrow(0, start: e, length: e), bias: inProjBias.narrow(0, start: e, length: e))
        let v = linear(value, weight: inProjWeight.narrow(0, start: 2 * e, length: e), bias: inProjBias.narrow(0, start: 2 * e, length: e))
        return (AttentionInput(q), AttentionInput(k), AttentionInput(v))
    }
}

/// Keys and values of the positions attended to so far, [S, N, E] each (for generation).
public final class AttentionCache {
    public var keys: Tensor?
    public var values: Tensor?
    public init() {}
    /// Number of cached positions.
    public var length: Int { keys?.shape[0] ?? 0 }

    /// Keeps batch entries `indices` (in that order, repeats allowed): after a beam-search
    /// step, each surviving hypothesis takes the cache of the hypothesis it extends.
    public func select(batch indices: [Int]) {
        keys = keys.map { AttentionCache.select($0, batch: indices) }
        values = values.map { AttentionCache.select($0, batch: indices) }
    }

    /// x [S, N, E] -> [S, indices.count, E] with row j taken from batch entry indices[j].
    public static func select(_ x: Tensor, batch indices: [Int]) -> Tensor {
        let s = x.shape[0], n = x.shape[1], e = x.shape[2]
        let out = Tensor(zeros: [s, indices.count, e])
        for t in 0..<s {
            for (j, i) in indices.enumerated() {
                precondition(i >= 0 && i < n, "batch index \(i) out of range 0..<\(n)")
                (out.data + (t * indices.count + j) * e).update(from: x.data + (t * n + i) * e, count: e)
            }
        }
        return out
    }
}
