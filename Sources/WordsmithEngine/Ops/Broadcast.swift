/// NumPy/PyTorch broadcasting: shapes are aligned at the trailing dimension, and a size-1
/// (or missing) dimension stretches to match the other.
enum Broadcast {
    static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) cannot be broadcast")
            out[i] = max(da, db)
        }
        return out
    }

    /// For each element of `outShape` (row-major), the linear index into a tensor of
    /// shape `inShape` broadcast to it. Only used off the fast paths.
    static func sourceIndices(_ inShape: [Int], to outShape: [Int]) -> [Int] {
        let r = outShape.count
        let padded = [Int](repeating: 1, count: r - inShape.count) + inShape
        var strides = [Int](repeating: 0, count: r)
        var s = 1
        for d in stride(from: r - 1, through: 0, by: -1) {
            strides[d] = padded[d] == 1 ? 0 : s
            s *= padded[d]
        }
        return stridedIndices(outShape, strides)
    }

    /// For each element of `shape` (row-major), Σ index[d] · strides[d]: the source offset of
    /// a broadcast (stride 0) or permuted (reordered strides) read.
    static func stridedIndices(_ shape: [Int], _ strides: [Int]) -> [Int] {
        let n = shape.reduce(1, *), r = shape.count
        var result = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: r)
        var src = 0
        for i in 0..<n {
            result[i] = src
            // Increment the multi-index, updating the source offset incrementally.
            var d = r - 1
            while d >= 0 {
                index[d] += 1
                src += strides[d]
                if index[d] < shape[d] { break }
                src -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// How an operand maps onto the output: identical layout, a single value, a block
    /// repeated along leading dimensions (e.g. a bias row), or a general index map.
    enum Pattern {
        case same
        case scalar
        case repeated(period: Int)
        case general([Int])

        init(_ inShape: [Int], _ outShape: [Int]) {
            let n = inShape.reduce(1, *)
            if inShape == outShape { self = .same; return }
            if n == 1 { self = .scalar; return }
            var trimmed = inShape[...]
            while let f = trimmed.first, f == 1 { trimmed = trimmed.dropFirst() }
            if outShape.count >= trimmed.count, Array(outShape.suffix(trimmed.count)) == Array(trimmed) {
                self = .repeated(period: n)
                return
            }
            self = .general(Broadcast.sourceIndices(inShape, to: outShape))
        }

        @inline(__always)
        func index(_ i: Int) -> Int {
            switch self {
            case .same: return i
            case .scalar: return 0
            case .repeated(let p): return i % p
            case .general(let map): return map[i]
            }
        }
    }
}
