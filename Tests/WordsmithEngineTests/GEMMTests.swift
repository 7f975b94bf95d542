import Testing
import WordsmithEngine

@Suite("Matrix products: BLAS and the built-in kernel")
struct GEMMTests {
    /// Naive triple loop in Float64: the reference for both backends.
    static func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                          a: [Float], b: [Float], beta: Float, c: [Float]) -> [Float] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                out[i * n + j] = Float(Double(alpha) * s + Double(beta) * Double(c[i * n + j]))
            }
        }
        return out
    }

    static func run(_ backend: GEMM.Backend, transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        let g = Generator(seed: UInt64(m * 1000 + n * 10 + k))
        let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }
        let b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
        var c = (0..<(m * n)).map { _ in g.uniform(-1, 1) }
        let expected = reference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.7, a: a, b: b, beta: 0.5, c: c)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.7,
                               a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                               beta: 0.5, c: pc.baseAddress!, ldc: n, backend: backend)
                }
            }
        }
        let worst = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4 * Float(k).squareRoot(), "\(backend) tA=\(transA) tB=\(transB) \(m)x\(n)x\(k): max error \(worst)")
    }

    static let shapes = [(1, 1, 1), (1, 33, 9), (1, 70, 65), (3, 5, 7), (17, 33, 9), (64, 48, 100), (129, 70, 65)]
    /// Products large enough to be split over the cores (≥ 500,000 multiply-adds): along M with
    /// blocks of uneven size, along N, and one row (sgemv) split along N.
    static let splitShapes = [(300, 90, 40), (70, 301, 33), (1, 5000, 200)]

    @Test("built-in kernel, every transpose combination", arguments: [false, true], [false, true])
    func builtin(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes { Self.run(.builtin, transA: transA, transB: transB, m: m, n: n, k: k) }
    }

    @Test("system BLAS, every transpose combination", .enabled(if: GEMM.usesBLAS, "no BLAS library loaded"),
          arguments: [false, true], [false, true])
    func blas(transA: Bool, transB: Bool) {
        for (m, n, k) in Self.shapes + Self.splitShapes {
            Self.run(.blas, transA: transA, transB: transB, m: m, n: n, k: k)
        }
    }

    @Test("the CI machine has a BLAS (set WORDSMITH_EXPECT_BLAS=1 to require one)")
    func blasLoadedWhenRequired() {
        if ProcessInfo.processInfo.environment["WORDSMITH_EXPECT_BLAS"] == "1" {
            #expect(GEMM.usesBLAS, "\(BLASLibrary.summary)")
        }
        #expect(!BLASLibrary.summary.isEmpty)
    }

    /// A product gives the same bits when other threads run products at the same time (the
    /// BLAS thread count, which changes OpenBLAS's rounding, must not be raced).
    @Test func concurrentProductsAreReproducible() async {
        func product(_ m: Int, _ n: Int, _ k: Int) -> [Float] {
            let g = Generator(seed: UInt64(m + n + k))
            let a = (0..<(m * k)).map { _ in g.uniform(-1, 1) }, b = (0..<(k * n)).map { _ in g.uniform(-1, 1) }
            var c = [Float](repeating: 0, count: m * n)
            c.withUnsafeMutableBufferPointer { pc in
                GEMM.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k,
                           c: pc.baseAddress!, ldc: n)
            }
            return c
        }
        let large = product(200, 64, 64)  // ~0.8 M multiply-adds: split over the cores
        let small = product(16, 16, 16)  // one thread
        let results = await withTaskGroup(of: [[Float]].self) { group in
            for t in 0..<8 {
                group.addTask {
                    // Every result, not just the last: one raced call is enough to differ.
                    t % 2 == 0 ? (0..<100).map { _ in product(200, 64, 64) } : (0..<400).map { _ in product(16, 16, 16) }
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        let differing = results.filter { $0 != ($0.count == large.count ? large : small) }.count
        #expect(differing == 0, "\(differing) of \(results.count) products differ from the same product run alone")
    }

    @Test func emptyInnerDimensionScalesC() {
        var c: [Float] = [1, 2, 3, 4]
        let a: [Float] = [0], b: [Float] = [0]
        c.withUnsafeMutableBufferPointer { pc in
            GEMM.sgemm(transA: false, transB: false, m: 2, n: 2, k: 0, a: a, lda: 1, b: b, ldb: 2,
                       beta: 2, c: pc.baseAddress!, ldc: 2)
        }
        #expect(c == [2, 4, 6, 8])
    }
}

import Foundation
