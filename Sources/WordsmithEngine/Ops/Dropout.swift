/// Inverted dropout: each element is zeroed with probability `p` and the survivors are
/// scaled by 1/(1-p), so evaluation needs no rescaling. The mask comes from `generator`.
public func dropout(_ x: Tensor, p: Float, generator: Generator) -> Tensor {
    precondition(p >= 0 && p <= 1, "dropout probability must be in [0, 1], got \(p)")
    if p == 0 { return x }
    let mask = Tensor.uninitialized(x.shape)
    let keep = p == 1 ? 0 : 1 / (1 - p)
    let out = Tensor.uninitialized(x.shape)
    let m = mask.data, o = out.data, src = x.data, n = x.count
    generator.withState { rng in
        for i in 0..<n {
            m[i] = rng.nextUnitFloat() < p ? 0 : keep
            o[i] = src[i] * m[i]
        }
    }
    return out.recording("dropout", [x]) { _, g in
        let gx = x.gradBuffer(), m = mask.data
        for i in 0..<mask.count { gx[i] += g[i] * m[i] }
    }
}
