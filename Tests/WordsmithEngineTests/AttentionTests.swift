import Foundation
import Testing
import WordsmithEngine

/// The fused attention op against the same computation built from basic ops, and its
/// finite-difference gradients.
struct AttentionTests {
    /// softmax(Q Kᵀ/√d + mask) V per head from permutes, matmuls and softmax.
    func reference(_ q: Tensor, _ k: Tensor, _ v: Tensor, heads: Int, mask: Tensor?) -> Tensor {
        let l = q.shape[0], n = q.shape[1], e = q.shape[2], s = k.shape[0], dk = e / heads
        func split(_ x: Tensor, _ len: Int) -> Tensor { x.reshaped([len, n * heads, dk]).permuted([1, 0, 2]) }
        var scores = split(q, l).matmul(split(k, s), transposingB: true) * (1 / Float(dk).squareRoot())
        if let mask { scores = scores + mask }
        return scores.softmax().matmul(split(v, s)).permuted([1, 0, 2]).reshaped([l, n, e])
    }

    @Test func matchesTheComposedComputation() {
        let q = param([3, 2, 8], seed: 1), k = param([5, 2, 8], seed: 2), v = param([5, 2, 8], seed: 3)
        let fused = scaledDotProductAttention(query: AttentionInput(q), key: AttentionInput(k), value: AttentionInput(v),
                                              embedDim: 8, heads: 2).output
        expectValues(fused, reference(q, k, v, heads: 2, mask: nil).scalars, tolerance: 1e-5)
    }

    @Test func masksAndPackedColumns() {
        // Q, K, V as columns of one packed tensor [L, N, 3E]; causal mask plus padding of
        // the last key of batch entry 1.
        let qkv = param([4, 2, 12], seed: 4)
        let causal = Tensor(shape: [4, 4], values: (0..<16).map { $0 % 4 > $0 / 4 ? -Float.infinity : 0 })
        let pad = [false, false, false, false, false, false, false, true]
        let fused = scaledDotProductAttention(query: AttentionInput(qkv, column: 0), key: AttentionInput(qkv, column: 4),
                                              value: AttentionInput(qkv, column: 8), embedDim: 4, heads: 2,
                                              attentionMask: causal, keyPaddingMask: pad).output
        let q = qkv.narrow(2, start: 0, length: 4), k = qkv.narrow(2, start: 4, length: 4), v = qkv.narrow(2, start: 8, length: 4)
        // Padding as an additive mask per (batch entry, head): [N·H, L, S].
        var m = [Float](repeating: 0, count: 2 * 2 * 16)
        for b in 0..<2 { for h in 0..<2 { for i in 0..<4 { for j in 0..<4 {
            m[((b * 2 + h) * 4 + i) * 4 + j] = (j > i || pad[b * 4 + j]) ? -.infinity : 0
        } } } }
        expectValues(fused, reference(q, k, v, heads: 2, mask: Tensor(shape: [4, 4, 4], values: m)).scalars, tolerance: 1e-5)
        expectGradients([qkv], check: GradientCheck(eps: 1e-3, atol: 2e-3, rtol: 2e-2)) {
            scaledDotProductAttention(query: AttentionInput(qkv, column: 0), key: AttentionInput(qkv, column: 4),
                                      value: AttentionInput(qkv, column: 8), embedDim: 4, heads: 2,
                                      attentionMask: causal, keyPaddingMask: pad).output
        }
    }

    @Test func gradientsOfSeparateInputs() {
        let q = param([3, 2, 8], seed: 5), kv = param([5, 2, 16], seed: 6)
        expectGradients([q, kv], check: GradientCheck(eps: 1e-3, atol: 2e-3, rtol: 2e-2)) {
            scaledDotProductAttention(query: AttentionInput(q), key: AttentionInput(kv, column: 0),
                                      value: AttentionInput(kv, column: 8), embedDim: 8, heads: 2,
                                      keyPaddingMask: [false, false, true, false, false, false, false, false, false, true]).output
        }
    }

    @Test func weightsAreHeadAveragedDistributions() {
        let q = param([3, 1, 8], seed: 7), k = param([4, 1, 8], seed: 8)
        let (_, w) = scaledDotProductAttention(query: AttentionInput(q), key: AttentionInput(k), value: AttentionInput(k),
                                               embedDim: 8, heads: 4, needWeights: true)
        let weights = try! #require(w)
        #expect(weights.shape == [1, 3, 4])
        for i in 0..<3 { #expect(abs((0..<4).map { weights.scalars[i * 4 + $0] }.reduce(0, +) - 1) < 1e-5) }
    }
}
