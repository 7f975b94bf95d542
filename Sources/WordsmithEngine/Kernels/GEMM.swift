import Foundation

/// Single-precision matrix product on row-major buffers:
///
///     C[M,N] = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T
///
/// where A is stored [M,K] (or [K,M] when `transA`) and B is [K,N] (or [N,K] when `transB`),
/// each with its row stride (`lda`, `ldb`, `ldc`). Every matrix product in Wordsmith goes
/// through here: to BLAS when one is loaded, else to the built-in kernel.
public enum GEMM {
    public enum Backend: Sendable { case automatic, blas, builtin }

    /// True when the system BLAS is used by `.automatic`.
    public static var usesBLAS: Bool { BLASLibrary.shared != nil }

    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
        backend: Backend = .automatic
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            scale(c, rows: m, cols: n, ld: ldc, by: beta)
            return
        }
        if backend != .builtin, let blas = BLASLibrary.shared {
            // OpenBLAS's thread count is process-wide and changes the rounding (1 and 2 threads
            // block the sums differently), so choosing it and calling must not interleave with
            // another thread's product: results then depend only on the shapes (tests run
            // concurrently; uncontended, the lock costs nanoseconds).
            blasLock.lock()
            defer { blasLock.unlock() }
            useThreads(for: m * n * k, blas)
            if m == 1, let gemv = blas.sgemv {
                // One row (a generation step): sgemm would pack all of B on every call.
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
            return
        }
        precondition(backend != .blas, "GEMM backend .blas requested but no BLAS library is loaded")
        builtin(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// OpenBLAS threads busy-wait around each call: on the many small products of an RNN
    /// step they cost more than they save, so products under ~1 MFLOP run on one thread.
    nonisolated(unsafe) static var currentThreads: Int32 = 0  // guarded by blasLock
    static let blasLock = NSLock()
    static let explicitThreadSetting = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] != nil

    static func useThreads(for work: Int, _ blas: BLASLibrary) {
        guard let set = blas.setThreads, !explicitThreadSetting else { return }
        let wanted: Int32 = work < 500_000 ? 1 : Int32(Parallel.coreCount)
        if wanted != currentThreads {
            set(wanted)
            currentThreads = wanted
        }
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
