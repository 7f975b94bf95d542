import Foundation

/// Layer normalization over the last dimension (PyTorch `F.layer_norm`):
///     y = (x - mean) / sqrt(var + eps) * weight + bias,  var biased (divided by D).
public func layerNorm(_ x: Tensor, weight: Tensor?, bias: Tensor?, eps: Float = 1e-5) -> Tensor {
    let d = x.shape.last ?? 1, rows = x.count / Swift.max(d, 1)
    let out = Tensor.uninitialized(x.shape)
    // Saved for backward: normalized values and 1/std per row.
    let xhat = Tensor.uninitialized(x.shape)
    let rstdTensor = Tensor.uninitialized([rows])
    let rstd = rstdTensor.data
    let w = weight?.data, b = bias?.data
    for r in 0..<rows {
        let src = x.data + r * d
        var mean = 0.0
        for j in 0..<d { mean += Double(src[j]) }
        mean /= Double(d)
        var v = 0.0
        for j in 0..<d { let c = Double(src[j]) - mean; v += c * c }
        v /= Double(d)
        let rs = Float(1 / (v + Double(eps)).squareRoot())
        rstd[r] = rs
        let m = Float(mean)
        let xh = xhat.data + r * d, o = out.data + r * d
        for j in 0..<d {
            let h = (src[j] - m) * rs
            xh[j] = h
            o[j] = h * (w?[j] ?? 1) + (b?[j] ?? 0)
        }
    }
    let inputs = [x] + [weight, bias].compactMap { $0 }
    return out.recording("layer_norm", inputs) { _, g in
        let rstd = rstdTensor.data
        if let weight, weight.requiresGrad {
            let gw = weight.gradBuffer()
            for r in 0..<rows { for j in 0..<d { gw[j] += g[r * d + j] * xhat.data[r * d + j] } }
        }
        if let bias, bias.requiresGrad {
            let gb = bias.gradBuffer()
            for r in 0..<rows { for j in 0..<d { gb[j] += g[r * d + j] } }
        }
        if x.requiresGrad {
            // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),  dxhat = g * w
            let gx = x.gradBuffer()
            for r in 0..<rows {
                let gr = g + r * d, xh = xhat.data + r * d
                var sum1 = 0.0, sum2 = 0.0
                for j in 0..<d {
                    let dh = Double(gr[j] * (w?[j] ?? 1))
                    sum1 += dh
                    sum2 += dh * Double(xh[j])
                }
                let m1 = Float(sum1 / Double(d)), m2 = Float(sum2 / Double(d))
                let rs = rstd[r]
                for j in 0..<d {
                    let dh = gr[j] * (w?[j] ?? 1)
                    gx[r * d + j] += rs * (dh - m1 - xh[j] * m2)
                }
            }
        }
    }
}
