/// Reshaping, slicing, joining and permuting. Reshapes and leading-dimension slices are
/// views (no copy); permutations and inner slices copy into a new contiguous tensor.
extension Tensor {
    /// The same values with a new shape; one dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            s[i] = count / known
        }
        precondition(s.reduce(1, *) == count, "cannot reshape \(shape) (\(count) values) to \(newShape)")
        let out = Tensor(shape: s, storage: storage, offset: offset)
        return out.recording("reshape", [self]) { out, g in
            let gx = self.gradBuffer()
            for i in 0..<out.count { gx[i] += g[i] }
        }
    }

    /// `length` entries of dimension `dim` starting at `start` (like `tensor.narrow`).
    public func narrow(_ dim: Int, start: Int, length: Int) -> Tensor {
        let d = normalizedAxis(dim)
        precondition(start >= 0 && length >= 0 && start + length <= shape[d],
                     "narrow(\(dim), \(start), \(length)) out of range for shape \(shape)")
        var outShape = shape
        outShape[d] = length
        let outer = shape[..<d].reduce(1, *), inner = shape[(d + 1)...].reduce(1, *)
        let n = shape[d]
        if outer == 1 {
            let out = Tensor(shape: outShape, storage: storage, offset: offset + start * inner)
            return out.recording("narrow", [self]) { out, g in
                let gx = self.gradBuffer() + start * inner
                for i in 0..<out.count { gx[i] += g[i] }
            }
        }
        let out = Tensor.uninitialized(outShape)
        let block = length * inner
        for i in 0..<outer {
            (out.data + i * block).update(from: data + (i * n + start) * inner, count: block)
        }
        return out.recording("narrow", [self]) { _, g in
            let gx = self.gradBuffer()
            for i in 0..<outer {
                let dst = gx + (i * n + start) * inner, src = g + i * block
                for k in 0..<block { dst[k] += src[k] }
            }
        }
    }

    /// Entry `index` of dimension `dim`, with that dimension removed.
    public func select(_ dim: Int, _ index: Int) -> Tensor {
        let d = normalizedAxis(dim)
        var s = shape
        s.remove(at: d)
        return narrow(d, start: index, length: 1).reshaped(s)
    }

    /// Joins tensors along `dim`; all other dimensions must agree.
    public static func concat(_ parts: [Tensor], dim: Int) -> Tensor {
        precondition(!parts.isEmpty, "concat of no tensors")
        let d = parts[0].normalizedAxis(dim)
        var outShape = parts[0].shape
        outShape[d] = 0
        for p in parts {
            var s = p.shape
            s[d] = parts[0].shape[d]
            precondition(s == parts[0].shape, "concat: shapes \(p.shape) and \(parts[0].shape) differ outside dim \(d)")
            outShape[d] += p.shape[d]
        }
        let outer = outShape[..<d].reduce(1, *), inner = outShape[(d + 1)...].reduce(1, *)
        let out = Tensor.uninitialized(outShape)
        let rowOut = outShape[d] * inner
        var starts: [Int] = []
        var start = 0
        for p in parts {
            starts.append(start)
            let block = p.shape[d] * inner
            for i in 0..<outer { (out.data + i * rowOut + start * inner).update(from: p.data + i * block, count: block) }
            start += p.shape[d]
        }
        return out.recording("concat", parts) { _, g in
            for (p, st) in zip(parts, starts) where p.requiresGrad {
                let gx = p.gradBuffer(), block = p.shape[d] * inner
                for i in 0..<outer {
                    let src = g + i * rowOut + st * inner, dst = gx + i * block
                    for k in 0..<block { dst[k] += src[k] }
                }
            }
        }
    }

    /// Stacks equal-shaped tensors along a new dimension `dim`.
    public static func stack(_ parts: [Tensor], dim: Int = 0) -> Tensor {
        precondition(!parts.isEmpty, "stack of no tensors")
        var s = parts[0].shape
        let d = dim < 0 ? dim + s.count + 1 : dim
        s.insert(1, at: d)
        return concat(parts.map { $0.reshaped(s) }, dim: d)
    }

    /// Reorders dimensions: result dimension i is input dimension `order[i]`.
    public func permuted(_ order: [Int]) -> Tensor {
        precondition(order.sorted() == Array(0..<rank), "permutation \(order) for rank \(rank)")
        let outShape = order.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let strides = order.map { inStrides[$0] }
        let out = Tensor.uninitialized(outShape)
        if rank > 1 && order.last == rank - 1 {
            // The last dimension stays innermost (e.g. splitting attention heads): move whole
            // contiguous rows instead of single elements.
            let inner = shape[rank - 1]
            let rows = Broadcast.stridedIndices(Array(outShape.dropLast()), Array(strides.dropLast()))
            let x = data, o = out.data
            for (i, src) in rows.enumerated() { (o + i * inner).update(from: x + src, count: inner) }
            return out.recording("permute", [self]) { _, g in
                let gx = self.gradBuffer()
                for (i, src) in rows.enumerated() { VectorMath.axpy(1, g + i * inner, gx + src, count: inner) }
            }
        }
        // Map each output position to its input position; the innermost loop is strided reads.
        let map = Broadcast.stridedIndices(outShape, strides)
        let x = data, o = out.data
        for i in 0..<count { o[i] = x[map[i]] }
        return out.recording("permute", [self]) { _, g in
            let gx = self.gradBuffer()
            for i in 0..<map.count { gx[map[i]] += g[i] }
        }
    }

    /// Swaps two dimensions.
    public func transposed(_ d0: Int = -2, _ d1: Int = -1) -> Tensor {
        var order = Array(0..<rank)
        order.swapAt(normalizedAxis(d0), normalizedAxis(d1))
        return permuted(order)
    }
}
