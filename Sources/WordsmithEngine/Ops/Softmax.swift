import CWordsmithKernels
import Foundation

/// Softmax and log-softmax over the last dimension, numerically stable (max subtracted),
/// with the vectorized exp and Float64 row sums.
extension Tensor {
    /// Per row of the last dimension: dst = exp(src - max), then `finish(src, dst, max, Σ dst)`.
    private func rowwiseExp(_ finish: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Float, Double) -> Void) -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let out = Tensor.uninitialized(shape)
        let x = data, o = out.data
        Parallel.forEachChunk(rows, costPerItem: n * 4) { r in
            for row in r {
                let src = x + row * n, dst = o + row * n
                let m = VectorMath.max(src, count: n)
                finish(src, dst, m, VectorMath.expShifted(src, dst, count: n, shift: -m))
            }
        }
        return out
    }

    public func softmax() -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let out = rowwiseExp { _, dst, _, total in VectorMath.scale(dst, by: Float(1 / total), count: n) }
        return out.recording("softmax", [self]) { out, g in
            // dx = y * (g - sum(g * y))
            let gx = self.gradBuffer(), y = out.data
            Parallel.forEachChunk(rows, costPerItem: n * 3) { r in
                for row in r {
                    let yr = y + row * n, gr = g + row * n, dr = gx + row * n
                    var dot = 0.0
                    for j in 0..<n { dot += Double(gr[j] * yr[j]) }
                    let d = Float(dot)
                    for j in 0..<n { dr[j] += yr[j] * (gr[j] - d) }
                }
            }
        }
    }

    public func logSoftmax() -> Tensor {
        let n = shape.last ?? 1, rows = count / Swift.max(n, 1)
        let out = rowwiseExp { src, dst, m, total in
            // (x - max) - log Σ, as PyTorch: adding max back first would lose precision.
            let logTotal = Float(Foundation.log(total))
            for j in 0..<n { dst[j] = (src[j] - m) - logTotal }
        }
        return out.recording("log_softmax", [self]) { out, g in
            // dx = g - softmax * sum(g)
            let gx = self.gradBuffer(), y = out.data
            Parallel.forEachChunk(rows, costPerItem: n * 3) { r in
                for row in r {
                    let yr = y + row * n, gr = g + row * n, dr = gx + row * n
                    let s = Float(VectorMath.sum(gr, count: n))
                    ws_scaled_exp(yr, dr, 0, -s, 0, 1, Int32(n))  // dr += -s · exp(y)
                    VectorMath.axpy(1, gr, dr, count: n)
                }
            }
        }
    }
}

