import CWordsmithKernels
import Foundation
import Testing
import WordsmithEngine

@Suite("Vectorized math")
struct VectorMathTests {
    /// exp(x) through the dispatched row kernel, over the whole float range.
    func exp(_ x: [Float]) -> [Float] {
        var out = [Float](repeating: -1, count: x.count)
        VectorMath.expShifted(x, &out, count: x.count, shift: 0)
        return out
    }

    @Test func expMatchesLibmWithinFourULP() {
        let xs = stride(from: Float(-87), to: 88, by: 0.0137).map { $0 }
        let worst = zip(exp(xs), xs).map { v, x in abs(v - Foundation.expf(x)) / Foundation.expf(x) }.max() ?? 0
        #expect(worst < 4 * Float.ulpOfOne, "max relative error \(worst)")
    }

    @Test func expSpecialValues() {
        // 11 values: a full vector and a padded tail whatever the lane count.
        let v = exp([-.infinity, -200, 0, 1, 100, .infinity, .nan, -87.5, 0, -.infinity, .nan])
        #expect(v[0] == 0 && v[1] == 0 && v[9] == 0)
        #expect(v[2] == 1 && v[8] == 1)
        #expect(abs(v[3] - 2.7182817) < 1e-6)
        #expect(v[4] == .infinity && v[5] == .infinity)
        #expect(v[6].isNaN && v[10].isNaN)
        #expect(v[7] == 0)
    }

    @Test func expShiftedSumsAccurately() {
        let n = 33_278
        let src = (0..<n).map { Float($0 % 97) / 10 - 5 }
        var dst = [Float](repeating: 0, count: n)
        let total = src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                VectorMath.expShifted(s.baseAddress!, d.baseAddress!, count: n, shift: -4.6)
            }
        }
        let reference = src.reduce(0.0) { $0 + Foundation.exp(Double($1) - 4.6) }
        #expect(abs(total - reference) / reference < 1e-6)
    }

    /// The C row kernels of softmax/cross-entropy (whichever instruction set was dispatched;
    /// CI also runs this with WORDSMITH_KERNELS=generic), at lengths that leave every tail size.
    @Test func rowKernelsMatchDoublePrecision() {
        for n in [1, 3, 8, 15, 16, 17, 100, 1023, 1024, 1031, 33_278] {
            var x = (0..<n).map { Float(($0 * 37) % 101) / 9 - 5.3 }
            if n > 2 { x[1] = -.infinity }  // a masked entry contributes exactly 0
            let m = x.withUnsafeBufferPointer { ws_row_max($0.baseAddress!, Int32(n)) }
            #expect(m == x.max()!)
            let sum = x.withUnsafeBufferPointer { ws_exp_sum($0.baseAddress!, -m, Int32(n)) }
            let reference = x.reduce(0.0) { $0 + Foundation.exp(Double($1) - Double(m)) }
            #expect(abs(sum - reference) / reference < 1e-6, "n \(n): \(sum) vs \(reference)")
            // dst = 0.5 * (exp(x - 1) - 0.01), written, then accumulated a second time.
            var dst = [Float](repeating: 7, count: n)
            for accumulate: Int32 in [0, 1] {
                x.withUnsafeBufferPointer { xs in
                    dst.withUnsafeMutableBufferPointer { ws_scaled_exp(xs.baseAddress!, $0.baseAddress!, -1, 0.5, 0.01, accumulate, Int32(n)) }
                }
            }
            for i in 0..<n {
                let expected = 2 * 0.5 * (Foundation.exp(Double(x[i]) - 1) - 0.01)
                #expect(abs(Double(dst[i]) - expected) <= 1e-6 * max(1, abs(expected)), "n \(n), i \(i)")
            }
        }
        #expect(["generic", "avx2", "avx512"].contains(String(cString: ws_kernel_isa())))
    }

    /// CI runs the kernel tests again with WORDSMITH_KERNELS=generic and =avx2 on a machine that
    /// has AVX-512 (`.ci/run`): those passes only test what they claim if the choice is obeyed.
    @Test func kernelSetFollowsTheEnvironment() {
        let forced = ProcessInfo.processInfo.environment["WORDSMITH_KERNELS"] ?? "auto"
        let isa = String(cString: ws_kernel_isa())
        switch forced {
        case "generic": #expect(isa == "generic")
        case "avx2": #expect(isa == "avx2" || isa == "generic")  // generic only on CPUs without AVX2
        default: #expect(isa != "generic" || !BLASLibrary.cpuHas("avx2", "fma"))
        }
    }

    /// The few-rows product kernel (recurrent steps) against Float64 sums: row counts below, at
    /// and past a register tile, column counts that leave whole 4-vector tiles, single vectors
    /// and a partial vector, strides wider than the rows, and c accumulated onto, not replaced.
    @Test func fewRowsProductMatchesDoublePrecision() {
        let shapes = [1, 3, 6, 7, 13].flatMap { m in
            [1, 7, 16, 64, 65, 200, 800].flatMap { n in [1, 5, 200].map { (m, n, $0) } }
        }
        for (m, n, k) in shapes where m * n * k <= 400_000 {
            let g = Generator(seed: UInt64(m * 100_000 + n * 1000 + k))
            let lda = k + 3, ldb = n + 5, ldc = n + 2
            let a = (0..<(m * lda)).map { _ in g.uniform(-1, 1) }
            let b = (0..<(k * ldb)).map { _ in g.uniform(-1, 1) }
            var c = (0..<(m * ldc)).map { _ in g.uniform(-1, 1) }
            let before = c
            ws_gemm_few_rows(a, Int32(lda), Int32(m), Int32(k), b, Int32(ldb), Int32(n), &c, Int32(ldc))
            for r in 0..<m {
                for j in 0..<ldc {
                    guard j < n else {  // past the n columns: untouched
                        #expect(c[r * ldc + j] == before[r * ldc + j]); continue
                    }
                    let want = (0..<k).reduce(Double(before[r * ldc + j])) { $0 + Double(a[r * lda + $1]) * Double(b[$1 * ldb + j]) }
                    #expect(abs(Double(c[r * ldc + j]) - want) <= 1e-5 * max(1, abs(want)), "m \(m) n \(n) k \(k) [\(r), \(j)]")
                }
            }
        }
    }

    /// The vectorized LSTM and GRU gate kernels against Float64 formulas, over hidden sizes
    /// that leave every tail length and inputs from tiny to saturating.
    @Test func recurrentCellKernelsMatchDoublePrecision() {
        func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 4e-7 * max(1, abs(b)) }
        func sig(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        for hidden in [1, 5, 13, 16, 200] {
            let batch = 3
            let g = Generator(seed: UInt64(hidden))
            let scale: [Float] = [1e-4, 0.3, 2, 30]
            let gates = (0..<(batch * 4 * hidden)).map { i in g.uniform(-1, 1) * scale[i % 4] }
            let c = (0..<(batch * hidden)).map { _ in g.uniform(-2, 2) }
            var act = [Float](repeating: 0, count: gates.count), hOut = [Float](repeating: 0, count: c.count)
            var cOut = hOut, tanhC = hOut
            ws_lstm_cell(gates, c, &act, &hOut, &cOut, &tanhC, Int32(batch), Int32(hidden))
            for r in 0..<batch {
                for j in 0..<hidden {
                    let x = { (k: Int) in Double(gates[r * 4 * hidden + k * hidden + j]) }
                    let i = sig(x(0)), f = sig(x(1)), n = Foundation.tanh(x(2)), o = sig(x(3))
                    let cn = f * Double(c[r * hidden + j]) + i * n
                    #expect(close(act[r * 4 * hidden + 2 * hidden + j], n), "tanh(\(x(2)))")
                    #expect(close(act[r * 4 * hidden + j], i) && close(act[r * 4 * hidden + 3 * hidden + j], o))
                    #expect(close(cOut[r * hidden + j], cn) && close(tanhC[r * hidden + j], Foundation.tanh(cn)))
                    #expect(close(hOut[r * hidden + j], o * Foundation.tanh(cn)))
                }
            }
            let gi = (0..<(batch * 3 * hidden)).map { _ in g.uniform(-3, 3) }
            let gh = (0..<(batch * 3 * hidden)).map { _ in g.uniform(-3, 3) }
            var gAct = [Float](repeating: 0, count: gi.count), gOut = [Float](repeating: 0, count: c.count)
            ws_gru_cell(gi, gh, c, &gAct, &gOut, Int32(batch), Int32(hidden))
            for b in 0..<batch {
                for j in 0..<hidden {
                    let k = b * 3 * hidden + j
                    let r = sig(Double(gi[k] + gh[k])), z = sig(Double(gi[k + hidden] + gh[k + hidden]))
                    let n = Foundation.tanh(Double(gi[k + 2 * hidden]) + r * Double(gh[k + 2 * hidden]))
                    #expect(close(gOut[b * hidden + j], n + z * (Double(c[b * hidden + j]) - n)))
                }
            }
        }
    }
}
