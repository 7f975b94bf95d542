import Foundation

/// Single-precision matrix product on row-major buffers:
///
///     C[M,N] = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T
///
/// where A is stored [M,K] (or [K,M] when `transA`) and B is [K,N] (or [N,K] when `transB`),
/// each with its row stride (`lda`, `ldb`, `ldc`). Every matrix product in Wordsmith goes
/// through here: to BLAS when one is loaded, else to the built-in kernel. `serial` keeps a
/// product on the calling thread (for callers that already split their work over the cores).
public enum GEMM {
    public enum Backend: Sendable { case automatic, blas, builtin }

    /// True when the system BLAS is used by `.automatic`.
    public static var usesBLAS: Bool { BLASLibrary.shared != nil }

    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        backend: Backend = .automatic, serial: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scale(c, rows: m, cols: n, ld: ldc, by: beta)
            return
        }
        if backend != .builtin, let blas = BLASLibrary.shared {
            if splitsOverCores && !serial && m * n * k >= 500_000 {
                splitOverCores(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                               b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, blas)
            } else {
                call(blas, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                     b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
            }
            return
        }
        precondition(backend != .blas, "GEMM backend .blas requested but no BLAS library is loaded")
        builtin(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    static let explicitThreadSetting = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] != nil

    /// Whether large products are cut into one block of C per core, each computed by a
    /// one-thread OpenBLAS call on its own thread. OpenBLAS's own threads busy-wait
    /// (sched_yield) between products, taking the second core from the elementwise work
    /// that runs there in between, and its thread count is process-wide, so concurrent
    /// callers had to take turns. With OpenBLAS fixed at one thread, products can run
    /// concurrently; the blocks run the models' shapes as fast as OpenBLAS's own two threads
    /// (`benchmarks/gemm-shapes --split`). Off when `OPENBLAS_NUM_THREADS` is set (then
    /// OpenBLAS threads as told) or for a BLAS without `openblas_set_num_threads`.
    static let splitsOverCores: Bool = {
        guard let set = BLASLibrary.shared?.setThreads, !explicitThreadSetting else { return false }
        set(1)
        return Parallel.coreCount > 1
    }()

    /// C split into `Parallel.coreCount` blocks along its longer side (block edges at
    /// multiples of 16, whole micro-kernel tiles), one BLAS call per block, in parallel. Each
    /// element is computed by one call over the whole K, so results depend only on the shapes.
    static func splitOverCores(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, _ blas: BLASLibrary
    ) {
        let alongM = m >= n
        let length = alongM ? m : n
        let parts = min(Parallel.coreCount, max(1, length / 16))
        let operands = UncheckedSendable((a, b, c))
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let (a, b, c) = operands.value
            let lo = blockEdge(p, of: parts, length: length), hi = blockEdge(p + 1, of: parts, length: length)
            guard lo < hi else { return }
            if alongM {  // rows lo..<hi of op(A) and of C
                call(blas, transA: transA, transB: transB, m: hi - lo, n: n, k: k, alpha: alpha,
                     a: transA ? a + lo : a + lo * lda, lda: lda, b: b, ldb: ldb,
                     beta: beta, c: c + lo * ldc, ldc: ldc)
            } else {  // columns lo..<hi of op(B) and of C
                call(blas, transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha,
                     a: a, lda: lda, b: transB ? b + lo * ldb : b + lo, ldb: ldb,
                     beta: beta, c: c + lo, ldc: ldc)
            }
        }
    }

    /// Where block `p` of `parts` near-equal blocks of `0..<length` starts (`p == parts`: the
    /// end), at a multiple of 16: whole micro-kernel tiles and vector widths.
    static func blockEdge(_ p: Int, of parts: Int, length: Int) -> Int {
        p == parts ? length : min(length, (length * p / parts + 8) / 16 * 16)
    }

    /// One BLAS call: `sgemm`, or `sgemv` for a single row (a generation step), where sgemm
    /// would pack all of B on every call.
    static func call(
        _ blas: BLASLibrary, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if m == 1, let gemv = blas.sgemv {
            // c[N] = alpha · op(B)ᵀ a + beta · c, with a read at stride lda when transposed.
            let incA = Int32(transA ? lda : 1)
            if transB {  // B is [N, K]: c = B a
                gemv(101, 111, Int32(n), Int32(k), alpha, b, Int32(ldb), a, incA, beta, c, 1)
            } else {  // B is [K, N]: c = Bᵀ a
                gemv(101, 112, Int32(k), Int32(n), alpha, b, Int32(ldb), a, incA, beta, c, 1)
            }
            return
        }
        blas.sgemm(101, transA ? 112 : 111, transB ? 112 : 111,
                   Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                   beta, c, Int32(ldc))
    }

    static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, by beta: Float) {
        for i in 0..<rows {
            let row = c + i * ld
            if beta == 0 { row.update(repeating: 0, count: cols) }  // C may hold NaN: overwrite, as BLAS does
            else { VectorMath.scale(row, by: beta, count: cols) }
        }
    }

    /// The fallback: packs op(A) into row-major [M,K] and op(B) into [K,N] so the inner loop is
    /// a contiguous axpy `C[i,:] += A[i,k] * B[k,:]` over 8-wide SIMD lanes; rows of C are
    /// split across cores and K is blocked so a panel of B stays in cache.
    static func builtin(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        typealias V = SIMD8<Float>
        // Pack A (scaled by alpha) and B into contiguous row-major panels.
        let pa = UnsafeMutablePointer<Float>.allocate(capacity: m * k)
        let pb = UnsafeMutablePointer<Float>.allocate(capacity: k * n)
        defer { pa.deallocate(); pb.deallocate() }
        for i in 0..<m {
            for p in 0..<k { pa[i * k + p] = alpha * (transA ? a[p * lda + i] : a[i * lda + p]) }
        }
        for p in 0..<k {
            if transB { for j in 0..<n { pb[p * n + j] = b[j * ldb + p] } }
            else { (pb + p * n).update(from: b + p * ldb, count: n) }
        }
        scale(c, rows: m, cols: n, ld: ldc, by: beta)
        let kBlock = max(1, min(k, 65_536 / max(n, 1)))
        Parallel.forEachChunk(m, costPerItem: n * k) { rows in
            var p0 = 0
            while p0 < k {
                let p1 = min(k, p0 + kBlock)
                for i in rows {
                    let crow = c + i * ldc
                    for p in p0..<p1 {
                        let av = pa[i * k + p]
                        let brow = pb + p * n
                        let avv = V(repeating: av)
                        var j = 0
                        while j + 8 <= n {
                            let cv = UnsafeRawPointer(crow + j).loadUnaligned(as: V.self)
                            let bv = UnsafeRawPointer(brow + j).loadUnaligned(as: V.self)
                            UnsafeMutableRawPointer(crow + j).storeBytes(of: cv + avv * bv, as: V.self)
                            j += 8
                        }
                        while j < n { crow[j] += av * brow[j]; j += 1 }
                    }
                }
                p0 = p1
            }
        }
    }
}
