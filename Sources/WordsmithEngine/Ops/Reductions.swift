/// Sums and means, over everything or along one dimension.
extension Tensor {
    /// Sum of all elements (accumulated in Float64), as a 0-d tensor.
    public func sum() -> Tensor {
        let out = Tensor(scalar: Float(VectorMath.sum(data, count: count)))
        return out.recording("sum", [self]) { _, g in
            let gx = self.gradBuffer(), s = g[0]
            for i in 0..<self.count { gx[i] += s }
        }
    }

    /// Mean of all elements, as a 0-d tensor.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sum along `axis`; the dimension is kept with size 1 when `keepingDims`.
    public func sum(axis: Int, keepingDims: Bool = false) -> Tensor {
        let a = normalizedAxis(axis)
        let outer = shape[..<a].reduce(1, *), n = shape[a], inner = shape[(a + 1)...].reduce(1, *)
        var outShape = shape
        if keepingDims { outShape[a] = 1 } else { outShape.remove(at: a) }
        let out = Tensor(zeros: outShape)
        let x = data, o = out.data
        for i in 0..<outer {
            for j in 0..<n {
                let src = x + (i * n + j) * inner, dst = o + i * inner
                for k in 0..<inner { dst[k] += src[k] }
            }
        }
        return out.recording("sum(axis)", [self]) { _, g in
            let gx = self.gradBuffer()
            for i in 0..<outer {
                for j in 0..<n {
                    let dst = gx + (i * n + j) * inner, src = g + i * inner
                    for k in 0..<inner { dst[k] += src[k] }
                }
            }
        }
    }

    /// Mean along `axis`.
    public func mean(axis: Int, keepingDims: Bool = false) -> Tensor {
        sum(axis: axis, keepingDims: keepingDims) * (1 / Float(size(axis)))
    }
}
