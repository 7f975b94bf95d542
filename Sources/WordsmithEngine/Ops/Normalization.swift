import Foundation

/// Layer normalization over the last dimension (PyTorch `F.layer_norm`):
///     y = (x - mean) / sqrt(var + eps) * weight + bias,  var biased (divided by D).
/// Rows are independent, so forward and the input gradient are split over the cores by row,
/// the weight and bias gradients by column.
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    let d = x.shape.last ?? 1, rows = x.count / Swift.max(d, 1)
    let out = Tensor.uninitialized(x.shape)
    // Saved for backward: normalized values and 1/std per row.
    let xhat = Tensor.uninitialized(x.shape)
    let rstdTensor = Tensor.uninitialized([rows])
    // Missing affine parameters act as weight 1, bias 0.
    let ones = weight == nil ? [Float](repeating: 1, count: d) : []
    let zeros = bias == nil ? [Float](repeating: 0, count: d) : []
    ones.withUnsafeBufferPointer { onesBuffer in
        zeros.withUnsafeBufferPointer { zerosBuffer in
            let w = weight.map { UnsafePointer($0.data) } ?? onesBuffer.baseAddress!
            let b = bias.map { UnsafePointer($0.data) } ?? zerosBuffer.baseAddress!
            let src = x.data, xh = xhat.data, o = out.data, rstd = rstdTensor.data
            Parallel.forEachChunk(rows, costPerItem: 4 * d) { range in
                for r in range {
                    let s = src + r * d
                    var mean = 0.0
                    for j in 0..<d { mean += Double(s[j]) }
                    mean /= Double(d)
                    var v = 0.0
                    for j in 0..<d { let c = Double(s[j]) - mean; v += c * c }
                    v /= Double(d)
                    let rs = Float(1 / (v + Double(eps)).squareRoot())
                    rstd[r] = rs
                    let m = Float(mean)
                    let h = xh + r * d, y = o + r * d
                    for j in 0..<d {
                        h[j] = (s[j] - m) * rs
                        y[j] = h[j] * w[j] + b[j]
                    }
                }
            }
        }
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return out.recording("layer_norm", inputs) { _, g in
        let rstd = rstdTensor.data, xh = xhat.data
        let gw = weight.flatMap { $0.requiresGrad ? $0.gradBuffer() : nil }
        let gb = bias.flatMap { $0.requiresGrad ? $0.gradBuffer() : nil }
        if gw != nil || gb != nil {
            Parallel.forEachChunk(d, costPerItem: 2 * rows) { columns in
                for r in 0..<rows {
                    let gr = g + r * d, h = xh + r * d
                    if let gw { for j in columns { gw[j] += gr[j] * h[j] } }
                    if let gb { for j in columns { gb[j] += gr[j] } }
                }
            }
        }
        if x.requiresGrad {
            // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = g * w
            let gx = x.gradBuffer()
            let w = weight?.data
            Parallel.forEachChunk(rows, costPerItem: 4 * d) { range in
                var dh = [Float](repeating: 0, count: d)
                for r in range {
                    let gr = g + r * d, h = xh + r * d, out = gx + r * d
                    var sum1 = 0.0, sum2 = 0.0
                    for j in 0..<d {
                        dh[j] = gr[j] * (w?[j] ?? 1)
                        sum1 += Double(dh[j])
                        sum2 += Double(dh[j]) * Double(h[j])
                    }
                    let m1 = Float(sum1 / Double(d)), m2 = Float(sum2 / Double(d))
                    let rs = rstd[r]
                    for j in 0..<d { out[j] += rs * (dh[j] - m1 - h[j] * m2) }
                }
            }
        }
    }
}
