/// Elementwise arithmetic with broadcasting. Gradients of a broadcast operand are summed
/// over the dimensions it was stretched along.

/// An elementwise operation and its partial derivatives as a type rather than closures:
/// `binaryForward` and `binaryBackward` are specialized for each one, so their loops inline
/// the arithmetic (and vectorize) instead of calling a closure per element from inside the
/// parallel chunks.
fileprivate protocol ElementwiseBinary {
    static func apply(_ x: Float, _ y: Float) -> Float
    /// g · ∂(x ∘ y)/∂x and g · ∂(x ∘ y)/∂y at one element.
    static func gradientX(_ g: Float, _ x: Float, _ y: Float) -> Float
    static func gradientY(_ g: Float, _ x: Float, _ y: Float) -> Float
}
fileprivate enum Add: ElementwiseBinary {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x + y }
    @inline(__always) static func gradientX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradientY(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
}
fileprivate enum Subtract: ElementwiseBinary {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x - y }
    @inline(__always) static func gradientX(_ g: Float, _ x: Float, _ y: Float) -> Float { g }
    @inline(__always) static func gradientY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g }
}
fileprivate enum Multiply: ElementwiseBinary {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x * y }
    @inline(__always) static func gradientX(_ g: Float, _ x: Float, _ y: Float) -> Float { g * y }
    @inline(__always) static func gradientY(_ g: Float, _ x: Float, _ y: Float) -> Float { g * x }
}
fileprivate enum Divide: ElementwiseBinary {
    @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x / y }
    @inline(__always) static func gradientX(_ g: Float, _ x: Float, _ y: Float) -> Float { g / y }
    @inline(__always) static func gradientY(_ g: Float, _ x: Float, _ y: Float) -> Float { -g * x / (y * y) }
}

/// Which operand of a binary operation a gradient is for, as a type (see `ElementwiseBinary`).
fileprivate protocol BinaryOperand {
    static func gradient<Op: ElementwiseBinary>(_: Op.Type, _ g: Float, _ x: Float, _ y: Float) -> Float
}
fileprivate enum LeftOperand: BinaryOperand {
    @inline(__always) static func gradient<Op: ElementwiseBinary>(_: Op.Type, _ g: Float, _ x: Float, _ y: Float) -> Float {
        Op.gradientX(g, x, y)
    }
}
fileprivate enum RightOperand: BinaryOperand {
    @inline(__always) static func gradient<Op: ElementwiseBinary>(_: Op.Type, _ g: Float, _ x: Float, _ y: Float) -> Float {
        Op.gradientY(g, x, y)
    }
}

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

    /// The backward of `a Op b`: each operand that needs a gradient gets its partial
    /// derivatives times `g`, summed over the positions it was broadcast to.
    @inline(__always)
    fileprivate static func binaryBackward<Op: ElementwiseBinary>(_ a: Tensor, _ b: Tensor, _ pa: Broadcast.Pattern,
                                                                  _ pb: Broadcast.Pattern, _ n: Int,
                                                                  _ g: UnsafeMutablePointer<Float>, _: Op.Type) {
        accumulate(a, pa, a, b, pa, pb, n, g, Op.self, LeftOperand.self)
        accumulate(b, pb, a, b, pa, pb, n, g, Op.self, RightOperand.self)
    }

    /// Adds operand `Side`'s gradient contributions into `t` (that operand, with pattern `p`).
    @inline(__always)
    fileprivate static func accumulate<Op: ElementwiseBinary, Side: BinaryOperand>(
        _ t: Tensor, _ p: Broadcast.Pattern, _ a: Tensor, _ b: Tensor, _ pa: Broadcast.Pattern,
        _ pb: Broadcast.Pattern, _ n: Int, _ g: UnsafeMutablePointer<Float>, _: Op.Type, _: Side.Type
    ) {
        guard t.requiresGrad else { return }
        let gt = t.gradBuffer(), x = a.data, y = b.data
        switch (p, pa, pb) {
        case (.same, .same, .same):  // the common case (residual connections): one vector loop
            Parallel.forEachChunk(n) { r in for i in r { gt[i] += Side.gradient(Op.self, g[i], x[i], y[i]) } }
        case (.same, _, _):
            Parallel.forEachChunk(n) { r in
                for i in r { gt[i] += Side.gradient(Op.self, g[i], x[pa.index(i)], y[pb.index(i)]) }
            }
        case (.scalar, _, _):
            var s: Double = 0
            for i in 0..<n { s += Double(Side.gradient(Op.self, g[i], x[pa.index(i)], y[pb.index(i)])) }
            gt[0] += Float(s)
        case (.repeated(let period), _, _):
            for i in 0..<n { gt[i % period] += Side.gradient(Op.self, g[i], x[pa.index(i)], y[pb.index(i)]) }
        case (.general(let map), _, _):
            for i in 0..<n { gt[map[i]] += Side.gradient(Op.self, g[i], x[pa.index(i)], y[pb.index(i)]) }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Add.self).recording("add", [a, b]) { out, g in
            binaryBackward(a, b, pa, pb, out.count, g, Add.self)
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Subtract.self).recording("sub", [a, b]) { out, g in
            binaryBackward(a, b, pa, pb, out.count, g, Subtract.self)
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Multiply.self).recording("mul", [a, b]) { out, g in
            binaryBackward(a, b, pa, pb, out.count, g, Multiply.self)
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let pa = Broadcast.Pattern(a.shape, shape), pb = Broadcast.Pattern(b.shape, shape)
        return binaryForward(a, b, shape, pa, pb, Divide.self).recording("div", [a, b]) { out, g in
            binaryBackward(a, b, pa, pb, out.count, g, Divide.self)
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
