import Foundation

/// Where the queries, keys or values of an attention call lie: columns
/// `column ..< column + embedDim` of `tensor` [len, N, width], so that Q, K and V can be read
/// straight out of a packed projection ([len, N, 3E]) without copies.
public struct AttentionInput {
    public let tensor: Tensor
    public let column: Int
    public init(_ tensor: Tensor, column: Int = 0) {
        self.tensor = tensor
        self.column = column
    }
}

/// Scaled dot-product attention over `heads` heads, fused into one op:
///
///     head_h = dropout(softmax(Q_h K_hᵀ / √d_k + mask)) V_h,   out = concat_h(head_h)  [L, N, E]
///
/// Each (batch entry, head) pair reads its rows of Q, K and V in place (row stride N·width)
/// and writes its columns of the output, so heads need no split/merge copies; pairs run in
/// parallel. `attentionMask` is additive [L, S]; `keyPaddingMask` [N·S] marks padded keys.
/// A query whose keys are all masked gets zero weights (PyTorch would give NaN). Returns the
/// weights averaged over heads [N, L, S] (after dropout, as PyTorch) when `needWeights`.
public func scaledDotProductAttention(query: AttentionInput, key: AttentionInput, value: AttentionInput,
                                      embedDim e: Int, heads: Int, attentionMask: Tensor? = nil,
                                      keyPaddingMask: [Bool]? = nil, dropout p: Float = 0, generator: Generator? = nil,
                                      needWeights: Bool = false) -> (output: Tensor, weights: Tensor?) {
    let q = query.tensor, k = key.tensor, v = value.tensor
    let l = q.shape[0], n = q.shape[1], s = k.shape[0]
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3 && k.shape[1] == n && v.shape[1] == n && v.shape[0] == s,
                 "attention expects query [L, N, *], key/value [S, N, *]; got \(q.shape), \(k.shape), \(v.shape)")
    precondition(query.column + e <= q.shape[2] && key.column + e <= k.shape[2] && value.column + e <= v.shape[2],
                 "attention columns out of range")
    precondition(heads > 0 && e % heads == 0, "embedding size \(e) must be divisible by the number of heads \(heads)")
    if let m = attentionMask { precondition(m.shape == [l, s], "attention mask must be [\(l), \(s)], got \(m.shape)") }
    if let pad = keyPaddingMask { precondition(pad.count == n * s, "key padding mask must have \(n)x\(s) entries, got \(pad.count)") }
    let dk = e / heads, pairs = n * heads
    let scale = 1 / Float(dk).squareRoot()
    let (wq, wk, wv) = (q.shape[2], k.shape[2], v.shape[2])
    // Row i of pair (b, h) in each operand (row strides N·width).
    func qRow(_ b: Int, _ h: Int, _ i: Int) -> Int { (i * n + b) * wq + query.column + h * dk }
    func kRow(_ b: Int, _ h: Int, _ j: Int) -> Int { (j * n + b) * wk + key.column + h * dk }
    func vRow(_ b: Int, _ h: Int, _ j: Int) -> Int { (j * n + b) * wv + value.column + h * dk }
    func oRow(_ b: Int, _ h: Int, _ i: Int) -> Int { (i * n + b) * e + h * dk }

    // Softmax probabilities [pairs, L, S] (kept for backward) and the dropout multipliers,
    // drawn up front, in order, so results do not depend on thread scheduling.
    let probs = Tensor.uninitialized([pairs, l, s])
    var keep: Tensor? = nil
    if p > 0, let generator {
        let mask = Tensor.uninitialized([pairs, l, s])
        generator.fillDropoutMask(mask.data, count: mask.count, p: p)
        keep = mask
    }
    let out = Tensor(zeros: [l, n, e])
    let qd = q.data, kd = k.data, vd = v.data, od = out.data, pd = probs.data
    let maskData = attentionMask?.data, dropData = keep?.data
    keyPaddingMask.withOptionalBuffer { pad in
        Parallel.forEachChunk(pairs, costPerItem: 4 * l * s * dk) { range in
            for pair in range {
                let b = pair / heads, h = pair % heads
                for i in 0..<l {
                    let row = pd + (pair * l + i) * s
                    var m = -Float.infinity
                    for j in 0..<s {
                        var x = VectorMath.dot(qd + qRow(b, h, i), kd + kRow(b, h, j), count: dk) * scale
                        if let maskData { x += maskData[i * s + j] }
                        if let pad, pad[b * s + j] { x = -.infinity }
                        row[j] = x
                        m = max(m, x)
                    }
                    if m == -.infinity {
                        row.update(repeating: 0, count: s)
                        continue
                    }
                    let total = VectorMath.expShifted(row, row, count: s, shift: -m)
                    VectorMath.scale(row, by: Float(1 / total), count: s)
                    let o = od + oRow(b, h, i)
                    for j in 0..<s {
                        let w = dropData.map { row[j] * $0[(pair * l + i) * s + j] } ?? row[j]
                        if w != 0 { VectorMath.axpy(w, vd + vRow(b, h, j), o, count: dk) }
                    }
                }
            }
        }
    }

    var averaged: Tensor? = nil
    if needWeights {
        let avg = Tensor(zeros: [n, l, s])
        for b in 0..<n {
            for h in 0..<heads {
                let src = pd + (b * heads + h) * l * s, dst = avg.data + b * l * s
                for x in 0..<(l * s) { dst[x] += (dropData.map { src[x] * $0[(b * heads + h) * l * s + x] } ?? src[x]) / Float(heads) }
            }
        }
        averaged = avg
    }

    var inputs: [Tensor] = []
    for t in [q, k, v] where !inputs.contains(where: { $0 === t }) { inputs.append(t) }
    let result = out.recording("scaled_dot_product_attention", inputs) { _, g in
        // Gradient buffers first (one allocation per distinct tensor), then pairs in parallel:
        // each pair writes only its own rows and columns of dQ, dK, dV. The saved tensors
        // are read through the closure's own references, which keep them alive until now.
        let pd = probs.data, dropData = keep?.data, qd = q.data, kd = k.data, vd = v.data
        let gq = q.requiresGrad ? q.gradBuffer() : nil
        let gk = k.requiresGrad ? k.gradBuffer() : nil
        let gv = v.requiresGrad ? v.gradBuffer() : nil
        Parallel.forEachChunk(pairs, costPerItem: 8 * l * s * dk) { range in
            var dP = [Float](repeating: 0, count: s)
            for pair in range {
                let b = pair / heads, h = pair % heads
                for i in 0..<l {
                    let row = pd + (pair * l + i) * s
                    let gRow = g + oRow(b, h, i)
                    let drop = dropData.map { $0 + (pair * l + i) * s }
                    var rowDot: Float = 0
                    for j in 0..<s {
                        let pj = row[j]
                        let w = drop.map { pj * $0[j] } ?? pj
                        if let gv, w != 0 { VectorMath.axpy(w, gRow, gv + vRow(b, h, j), count: dk) }
                        // d(weights) = dO · V_jᵀ, through dropout's multiplier to the softmax.
                        var d = pj == 0 ? 0 : VectorMath.dot(gRow, vd + vRow(b, h, j), count: dk)
                        if let drop { d *= drop[j] }
                        dP[j] = d
                        rowDot += d * pj
                    }
                    for j in 0..<s {
                        let ds = row[j] * (dP[j] - rowDot) * scale  // softmax backward, then the 1/√d_k
                        if ds == 0 { continue }
                        if let gq { VectorMath.axpy(ds, kd + kRow(b, h, j), gq + qRow(b, h, i), count: dk) }
                        if let gk { VectorMath.axpy(ds, qd + qRow(b, h, i), gk + kRow(b, h, j), count: dk) }
                    }
                }
            }
        }
    }
    return (result, averaged)
}

extension Optional where Wrapped == [Bool] {
    /// The array's storage as a buffer pointer (nil when the optional is nil), for loops that
    /// should not touch Swift array bounds checks or reference counts.
    func withOptionalBuffer<R>(_ body: (UnsafeBufferPointer<Bool>?) -> R) -> R {
        switch self {
        case .some(let array): return array.withUnsafeBufferPointer { body($0) }
        case .none: return body(nil)
        }
    }
}
