import Foundation

/// Vectorized elementary functions over contiguous Float32 buffers.
///
/// Foundation's scalar `expf` runs ~150M values/s; the softmax over a 33k-word vocabulary
/// needs far more, so `exp` is evaluated 8 lanes at a time with a Cephes-style polynomial
/// (max relative error ~2 ulp over the float range).
public enum VectorMath {
    public typealias V = SIMD8<Float>

    @inline(__always)
    public static func exp(_ x: V) -> V {
        let lo: Float = -87.33654, hi: Float = 88.72284
        var xc = x.replacing(with: lo, where: x .< lo)
        xc.replace(with: hi, where: xc .> hi)
        // Round x·log2(e) to the nearest integer n with the 1.5·2^23 trick: after the add the
        // integer sits in the low mantissa bits (generic SIMD rounding/conversion is slow).
        let magic = V(repeating: 12_582_912)
        let shifted = xc * 1.442_695_04 + magic
        let n = shifted - magic
        // x = n ln2 + r, |r| <= ln2 / 2 (ln2 split in two parts for precision)
        var r = xc - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p: V = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        // 2^n from the integer bits: (n + 127) << 23.
        let bits = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: V.self)
        var result = p * scale
        // Below the smallest normal exponent the true value rounds to (almost) zero:
        // return exactly 0 so that -inf masks give exactly zero weight.
        result.replace(with: 0, where: x .< lo)
        result.replace(with: Float.infinity, where: x .> hi)
        result.replace(with: Float.nan, where: x .!= x)
        return result
    }

    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        Foundation.expf(x)
    }

    /// dst[i] = exp(src[i] + shift); returns the sum of the results (accumulated in Float64
    /// per 8-lane block so long rows stay accurate). `dst` may equal `src`.
    @discardableResult
    public static func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  count n: Int, shift: Float) -> Double {
        var total = 0.0
        var acc = V()
        var i = 0
        let s = V(repeating: shift)
        while i + 8 <= n {
            let e = exp(UnsafeRawPointer(src + i).loadUnaligned(as: V.self) + s)
            UnsafeMutableRawPointer(dst + i).storeBytes(of: e, as: V.self)
            acc += e
            i += 8
            if i & 1023 == 0 { total += Double(acc.sum()); acc = V() }
        }
        total += Double(acc.sum())
        while i < n {
            let e = exp(src[i] + shift)
            dst[i] = e
            total += Double(e)
            i += 1
        }
        return total
    }

    /// Maximum of a non-empty buffer.
    public static func max(_ src: UnsafePointer<Float>, count n: Int) -> Float {
        var m = V(repeating: -.infinity)
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            m.replace(with: v, where: v .> m)
            i += 8
        }
        var r = m.max()
        while i < n { r = Swift.max(r, src[i]); i += 1 }
        return r
    }

    /// Sum in Float64 (reductions over tens of thousands of terms).
    public static func sum(_ src: UnsafePointer<Float>, count n: Int) -> Double {
        var total = 0.0
        var acc = V()
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            i += 8
            if i & 1023 == 0 { total += Double(acc.sum()); acc = V() }
        }
        total += Double(acc.sum())
        while i < n { total += Double(src[i]); i += 1 }
        return total
    }

    /// Logistic sigmoid 1 / (1 + e^-x), stable for large |x|.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + Foundation.expf(-x))
    }

    /// Hyperbolic tangent (libm's, accurate to an ulp; a vectorized one belongs to the
    /// performance work).
    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        Foundation.tanhf(x)
    }
}

extension VectorMath {
    /// Σ x², accumulated in Float64 per block.
    public static func sumOfSquares(_ src: UnsafePointer<Float>, count n: Int) -> Double {
        var total = 0.0
        var acc = V()
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: V.self)
            acc += v * v
            i += 8
            if i & 1023 == 0 { total += Double(acc.sum()); acc = V() }
        }
        total += Double(acc.sum())
        while i < n { total += Double(src[i]) * Double(src[i]); i += 1 }
        return total
    }

    /// y += a·x (BLAS saxpy), 8 lanes at a time. Inlinable: other modules call it in hot loops.
    @inlinable
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let av = V(repeating: a)
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + av * xv, as: V.self)
            i += 8
        }
        while i < n { y[i] += a * x[i]; i += 1 }
    }

    /// x *= a.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by a: Float, count n: Int) {
        let av = V(repeating: a)
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(x + i).storeBytes(of: xv * av, as: V.self)
            i += 8
        }
        while i < n { x[i] *= a; i += 1 }
    }

    /// Σ x·y in Float32, 8 lanes at a time (short vectors such as one attention head's row).
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
        var acc = V()
        var i = 0
        while i + 8 <= n {
            acc += UnsafeRawPointer(x + i).loadUnaligned(as: V.self) * UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            i += 8
        }
        var total = acc.sum()
        while i < n { total += x[i] * y[i]; i += 1 }
        return total
    }
}
