/// Inverted dropout: each element is zeroed with probability `p` and the survivors are
/// scaled by 1/(1-p), so evaluation needs no rescaling. The mask comes from `generator`
/// (one draw per element, in order: the masks of the code before the speed-ups).
public func dropout(_ x: Tensor, p: Float, generator: Generator) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    if p == 0 { return x }
    let mask = Tensor.uninitialized(x.shape)
    let out = Tensor.uninitialized(x.shape)
    let m = mask.data, o = out.data, src = x.data, n = x.count
    generator.fillDropoutMask(m, count: n, p: p, applyingTo: src, output: o)
    return out.recording("dropout", [x]) { _, g in
        let gx = x.gradBuffer(), m = mask.data
        Parallel.forEachChunk(n, costPerItem: 2) { r in
            for i in r { gx[i] += g[i] * m[i] }
        }
    }
}
