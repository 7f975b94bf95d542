/// Elementwise arithmetic with broadcasting. Gradients of a broadcast operand are summed
/// over the dimensions it was stretched along.

/// An elementwise operation as a type rather than a closure: `binaryForward` is specialized
/// for each one, so its loops inline the arithmetic (and vectorize) instead of calling a
/// closure per element from inside the parallel chunks.
fileprivate protocol ElementwiseBinary { static func apply(_ x: Float, _ y: Float) -> Float }
fileprivate enum Add: ElementwiseBinary { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x + y } }
fileprivate enum Subtract: ElementwiseBinary { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x - y } }
fileprivate enum Multiply: ElementwiseBinary { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x * y } }
fileprivate enum Divide: ElementwiseBinary { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x / y } }

extension Tensor {
    /// out[i] = Op(a[ia(i)], b[ib(i)]) over the broadcast shape.
    @inline(__always)
    fileprivate static func binaryForward<Op: ElementwiseBinary>(_ a: Tensor, _ b: Tensor, _ outShape: [Int],
                                                                 _ pa: Broadcast.Pattern, _ pb: Broadcast.Pattern,
                                                                 _: Op.Type) -> Tensor {
        let out = Tensor.uninitialized(outShape)
        let o = out.data, x = a.data, y = b.data
        let n = out.count
        switch (pa, pb) {
        case (.same, .same):
            Parallel.forEachChunk(n) { r in for i in r { o[i] = Op.apply(x[i], y[i]) } }
        case (.same, .scalar):
            let s = y[0]
            Parallel.forEachChunk(n) { r in for i in r { o[i] = Op.apply(x[i], s) } }
        case (.scalar, .same):
            let s = x[0]
            Parallel.forEachChunk(n) { r in for i in r { o[i] = Op.apply(s, y[i]) } }
        case (.same, .repeated(let p)):
            Parallel.forEachChunk(n / p, costPerItem: p) { rows in
                for row in rows { let base = row * p; for j in 0..<p { o[base + j] = Op.apply(x[base + j], y[j]) } }
            }
        default:
            for i in 0..<n { o[i] = Op.apply(x[pa.index(i)], y[pb.index(i)]) }
        }
        return out
    }

    /// Adds `scale(i) * g[i]` into the gradient of an operand with pattern `p`.
    @inline(__always)
    fileprivate static func accumulate(_ t: Tensor, _ p: Broadcast.Pattern, _ n: Int,
                                       _ contribution: (Int) -> Float) {
        guard t.requiresGrad else { return }
        let g = t.gradBuffer()
        switch p {
        case .same:
            Parallel.forEachChunk(n) { r in for i in r { g[i] += contribution(i) } }
        case .scalar:
            var s: Double = 0
            for i in 0..<n { s += Double(contribution(i)) }
            g[0] += Float(s)
        case .repeated(let period):
            for i in 0..<n { g[i % period] += contribution(i) }
        case .general(let map):
            for i in 0..<n { g[map[i]] += contribution(i) }
        }
    }

    /// Adds `g` into the gradient of an operand with pattern `p` (the backward of `+`, on
    /// every residual connection, and of `-`'s left side): a plain loop for the same shape,
    /// `accumulate` otherwise.
    fileprivate static func accumulateGradient(_ t: Tensor, _ p: Broadcast.Pattern, _ n: Int,
                                               _ g: UnsafeMutablePointer<Float>) {
        guard t.requiresGrad else { return }
        if case .same = p {
            let gt = t.gradBuffer()
            Parallel.forEachChunk(n) { r in for i in r { gt[i] += g[i] } }
        } else {
            accumulate(t, p, n) { g[$0] }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Add.self).recording("add", [a, b]) { out, g in
            accumulateGradient(a, pa, out.count, g)
            accumulateGradient(b, pb, out.count, g)
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Subtract.self).recording("sub", [a, b]) { out, g in
            accumulateGradient(a, pa, out.count, g)
            accumulate(b, pb, out.count) { -g[$0] }
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Multiply.self).recording("mul", [a, b]) { out, g in
            let x = a.data, y = b.data
            accumulate(a, pa, out.count) { g[$0] * y[pb.index($0)] }
            accumulate(b, pb, out.count) { g[$0] * x[pa.index($0)] }
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Divide.self).recording("div", [a, b]) { out, g in
            let x = a.data, y = b.data
            accumulate(a, pa, out.count) { g[$0] / y[pb.index($0)] }
            accumulate(b, pb, out.count) {
                let yv = y[pb.index($0)]
                return -g[$0] * x[pa.index($0)] / (yv * yv)
            }
        }
    }

    public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func + (s: Float, a: Tensor) -> Tensor { a.affine(scale: 1, shift: s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
    public static func - (s: Float, a: Tensor) -> Tensor { a.affine(scale: -1, shift: s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s, shift: 0) }
    public static func / (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1 / s, shift: 0) }
    public static prefix func - (a: Tensor) -> Tensor { a.affine(scale: -1, shift: 0) }

    /// scale * x + shift, elementwise.
    public func affine(scale: Float, shift: Float) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let x = data, o = out.data
        Parallel.forEachChunk(count) { r in for i in r { o[i] = scale * x[i] + shift } }
        return out.recording("affine", [self]) { out, g in
            let gx = self.gradBuffer()
            Parallel.forEachChunk(out.count) { r in for i in r { gx[i] += scale * g[i] } }
        }
    }
}
