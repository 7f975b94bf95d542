import Foundation
import Testing
import WordsmithEngine

@Suite("Vectorized math")
struct VectorMathTests {
    @Test func expMatchesLibmWithinFourULP() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = VectorMath.exp(VectorMath.V(repeating: x))[0]
            let ref = Foundation.expf(x)
            worst = max(worst, abs(v - ref) / ref)
            x += 0.0137
        }
        #expect(worst < 4 * Float.ulpOfOne, "max relative error \(worst)")
    }

    @Test func expSpecialValues() {
        let v = VectorMath.exp(VectorMath.V(-.infinity, -200, 0, 1, 100, .infinity, .nan, -87.5))
        #expect(v[0] == 0 && v[1] == 0)
        #expect(v[2] == 1)
        #expect(abs(v[3] - 2.7182817) < 1e-6)
        #expect(v[4] == .infinity && v[5] == .infinity)
        #expect(v[6].isNaN)
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
}
