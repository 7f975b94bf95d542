import CWordsmithKernels
import Foundation

/// Vectorized elementary functions over contiguous Float32 buffers.
///
/// Foundation's scalar `expf` runs ~150M values/s; the softmax over a 33k-word vocabulary
/// needs far more, so the exp of whole rows (`expShifted`) runs in the C kernels
/// (CWordsmithKernels: a Cephes-style polynomial, ~2 ulp, AVX-512/AVX2 chosen at run time).
public enum VectorMath {
    public typealias V = SIMD8<Float>

    /// The instruction set the C kernels run on: "avx512", "avx2" or "generic" (chosen at
    /// start-up from the CPU; WORDSMITH_KERNELS=generic or =avx2 chooses a lesser one).
    public static var kernelSet: String { String(cString: ws_kernel_isa()) }

    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        Foundation.expf(x)
    }

    /// dst[i] = exp(src[i] + shift); returns the sum of the results (accumulated in Float64
    /// per block so long rows stay accurate). `dst` may equal `src`.
    @discardableResult
    public static func expShifted(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                  count n: Int, shift: Float) -> Double {
        ws_exp_shifted(src, dst, shift, Int32(n))
    }

    /// Maximum of a non-empty buffer.
    public static func max(_ src: UnsafePointer<Float>, count n: Int) -> Float {
        ws_row_max(src, Int32(n))
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

    /// y += a·(x·s): the update of a gradient x scaled by s (clipping) before use, rounded
    /// as if x had been scaled in memory first.
    public static func axpy(_ a: Float, _ x: UnsafePointer<Float>, scaledBy s: Float,
                            _ y: UnsafeMutablePointer<Float>, count n: Int) {
        let av = V(repeating: a), sv = V(repeating: s)
        var i = 0
        while i + 8 <= n {
            let xv = UnsafeRawPointer(x + i).loadUnaligned(as: V.self)
            let yv = UnsafeRawPointer(y + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: yv + av * (xv * sv), as: V.self)
            i += 8
        }
        while i < n { y[i] += a * (x[i] * s); i += 1 }
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

/// The constants of one Adam step over a tensor (`VectorMath.adamUpdate`).
public struct AdamConstants: Sendable {
    public var gradientScale: Float, l2: Float, beta1: Float, beta2: Float
    public var decay: Float, stepSize: Float, bc2Root: Float, eps: Float

    public init(gradientScale: Float, l2: Float, beta1: Float, beta2: Float,
                decay: Float, stepSize: Float, bc2Root: Float, eps: Float) {
        (self.gradientScale, self.l2, self.beta1, self.beta2) = (gradientScale, l2, beta1, beta2)
        (self.decay, self.stepSize, self.bc2Root, self.eps) = (decay, stepSize, bc2Root, eps)
    }
}

extension VectorMath {
    /// Adam's update of `n` parameters in place (the C kernel: vector sqrt and division):
    ///     g' = g·gradientScale + l2·x;  m = β1·m + (1-β1)·g';  v = β2·v + (1-β2)·g'²
    ///     x = x·decay - stepSize·m / (√v / bc2Root + eps)
    public static func adamUpdate(_ x: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
                                  m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                                  count n: Int, _ c: AdamConstants) {
        var p = ws_adam_params(grad_scale: c.gradientScale, l2: c.l2, beta1: c.beta1, beta2: c.beta2,
                               decay: c.decay, step_size: c.stepSize, bc2_root: c.bc2Root, eps: c.eps)
        ws_adam_update(x, g, m, v, Int32(n), &p)
    }
}
