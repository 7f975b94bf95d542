/// Matrix products. All of them call `GEMM.sgemm`, and backward passes accumulate straight
/// into the gradient buffers with `beta = 1`.
extension Tensor {
    /// Matrix product of the last two dimensions, batched over the leading ones (which must
    /// match): [..., M, K] x [..., K, N] -> [..., M, N]. With `transposingB`, `other` is
    /// [..., N, K] and is used transposed (`a @ b.mT`) without a copy.
    public func matmul(_ other: Tensor, transposingB: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank == rank, "matmul: shapes \(shape) and \(other.shape)")
        let batchShape = Array(shape.dropLast(2))
        precondition(Array(other.shape.dropLast(2)) == batchShape, "matmul: batch dimensions \(shape) vs \(other.shape)")
        let m = shape[rank - 2], k = shape[rank - 1]
        let kb = transposingB ? other.shape[rank - 1] : other.shape[rank - 2]
        let n = transposingB ? other.shape[rank - 2] : other.shape[rank - 1]
        precondition(k == kb, "matmul: inner dimensions differ, \(shape) x \(other.shape)\(transposingB ? "^T" : "")")
        let batch = batchShape.reduce(1, *)
        let out = Tensor.uninitialized(batchShape + [m, n])
        let tb = transposingB
        for i in 0..<batch {
            GEMM.sgemm(transA: false, transB: tb, m: m, n: n, k: k,
                       a: data + i * m * k, lda: k, b: other.data + i * k * n, ldb: tb ? k : n,
                       c: out.data + i * m * n, ldc: n)
        }
        return out.recording("matmul", [self, other]) { _, g in
            if self.requiresGrad {
                // dA[M,K] += dC[M,N] · op(B)^T
                let ga = self.gradBuffer()
                for i in 0..<batch {
                    GEMM.sgemm(transA: false, transB: !tb, m: m, n: k, k: n,
                               a: g + i * m * n, lda: n, b: other.data + i * k * n, ldb: tb ? k : n,
                               beta: 1, c: ga + i * m * k, ldc: k)
                }
            }
            if other.requiresGrad {
                let gb = other.gradBuffer()
                for i in 0..<batch {
                    if tb {  // dB[N,K] += dC^T[N,M] · A[M,K]
                        GEMM.sgemm(transA: true, transB: false, m: n, n: k, k: m,
                                   a: g + i * m * n, lda: n, b: self.data + i * m * k, ldb: k,
                                   beta: 1, c: gb + i * k * n, ldc: k)
                    } else {  // dB[K,N] += A^T[K,M] · dC[M,N]
                        GEMM.sgemm(transA: true, transB: false, m: k, n: n, k: m,
                                   a: self.data + i * m * k, lda: k, b: g + i * m * n, ldb: n,
                                   beta: 1, c: gb + i * k * n, ldc: n)
                    }
                }
            }
        }
    }
}

/// y = x Wᵀ + b over the last dimension of `x` (PyTorch's `F.linear`):
/// x [..., in], weight [out, in], bias [out] -> [..., out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?) -> Tensor {
    precondition(weight.rank == 2 && x.shape.last == weight.shape[1],
                 "linear: input \(x.shape) does not match weight \(weight.shape)")
    let inF = weight.shape[1], outF = weight.shape[0]
    let rows = x.count / max(inF, 1)
    let out = Tensor.uninitialized(Array(x.shape.dropLast()) + [outF])
    let o = out.data
    if let bias {
        precondition(bias.shape == [outF], "linear: bias \(bias.shape) for \(outF) outputs")
        for r in 0..<rows { (o + r * outF).update(from: bias.data, count: outF) }
    }
    GEMM.sgemm(transA: false, transB: true, m: rows, n: outF, k: inF,
               a: x.data, lda: inF, b: weight.data, ldb: inF,
               beta: bias == nil ? 0 : 1, c: o, ldc: outF)
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return out.recording("linear", inputs) { _, g in
        if x.requiresGrad {  // dx[R,in] += g[R,out] · W[out,in]
            GEMM.sgemm(transA: false, transB: false, m: rows, n: inF, k: outF,
                       a: g, lda: outF, b: weight.data, ldb: inF, beta: 1, c: x.gradBuffer(), ldc: inF)
        }
        if weight.requiresGrad {  // dW[out,in] += gᵀ[out,R] · x[R,in]
            GEMM.sgemm(transA: true, transB: false, m: outF, n: inF, k: rows,
                       a: g, lda: outF, b: x.data, ldb: inF, beta: 1, c: weight.gradBuffer(), ldc: inF)
        }
        if let bias, bias.requiresGrad {  // db += column sums of g
            let gb = bias.gradBuffer()
            for r in 0..<rows {
                let row = g + r * outF
                for j in 0..<outF { gb[j] += row[j] }
            }
        }
    }
}
