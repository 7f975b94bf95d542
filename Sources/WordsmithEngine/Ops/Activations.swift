import Foundation

/// Elementwise nonlinearities. Each derivative is written in terms of the input `x` and
/// the output `y`, whichever is cheaper.
extension Tensor {
    @inline(__always)
    fileprivate func unary(_ name: String, _ f: (Float) -> Float,
                           _ derivative: @escaping (_ x: Float, _ y: Float) -> Float) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let x = data, o = out.data
        Parallel.forEachChunk(count, costPerItem: 8) { r in for i in r { o[i] = f(x[i]) } }
        return out.recording(name, [self]) { out, g in
            let gx = self.gradBuffer(), x = self.data, y = out.data
            Parallel.forEachChunk(out.count, costPerItem: 4) { r in
                for i in r { gx[i] += g[i] * derivative(x[i], y[i]) }
            }
        }
    }

    public func tanh() -> Tensor { unary("tanh", { VectorMath.tanh($0) }, { _, y in 1 - y * y }) }
    public func sigmoid() -> Tensor { unary("sigmoid", { VectorMath.sigmoid($0) }, { _, y in y * (1 - y) }) }
    /// max(x, 0), written out rather than through `unary`: the feed-forward block's hot
    /// activation, whose loops vectorize once no closure is called per element.
    public func relu() -> Tensor {
        let out = Tensor.uninitialized(shape)
        let x = data, o = out.data
        Parallel.forEachChunk(count) { r in for i in r { o[i] = max(x[i], 0) } }
        return out.recording("relu", [self]) { out, g in
            let gx = self.gradBuffer(), x = self.data
            Parallel.forEachChunk(out.count) { r in for i in r { gx[i] += g[i] * (x[i] > 0 ? 1 : 0) } }
        }
    }
    public func exp() -> Tensor { unary("exp", { VectorMath.exp($0) }, { _, y in y }) }
    public func log() -> Tensor { unary("log", { Foundation.logf($0) }, { x, _ in 1 / x }) }
    public func sqrt() -> Tensor { unary("sqrt", { $0.squareRoot() }, { _, y in 0.5 / y }) }
    public func squared() -> Tensor { unary("square", { $0 * $0 }, { x, _ in 2 * x }) }

    /// GELU with the exact erf form, PyTorch's default (`approximate='none'`).
    public func gelu() -> Tensor {
        unary("gelu", { x in 0.5 * x * (1 + Foundation.erff(x * 0.707_106_77)) }, { x, _ in
            let cdf = 0.5 * (1 + Foundation.erff(x * 0.707_106_77))
            let pdf = Foundation.expf(-0.5 * x * x) * 0.398_942_3
            return cdf + x * pdf
        })
    }
}
