import Foundation

/// Classification losses over rows of scores, PyTorch semantics (mean over the rows whose
/// target is not `ignoreIndex`).

/// Negative log-likelihood of `targets` under `logProbs` [N, C] (PyTorch `F.nll_loss`).
public func nllLoss(_ logProbs: Tensor, targets: [Int32], ignoreIndex: Int32? = nil) -> Tensor {
    precondition(logProbs.rank == 2 && logProbs.shape[0] == targets.count,
                 "nll_loss: log-probs \(logProbs.shape) for \(targets.count) targets")
    let c = logProbs.shape[1]
    var total = 0.0
    var counted = 0
    for (i, t) in targets.enumerated() where t != ignoreIndex {
        precondition(t >= 0 && Int(t) < c, "target \(t) outside \(c) classes")
        total -= Double(logProbs.data[i * c + Int(t)])
        counted += 1
    }
    let n = Float(max(counted, 1))
    let out = Tensor(scalar: counted == 0 ? .nan : Float(total / Double(counted)))
    return out.recording("nll_loss", [logProbs]) { _, g in
        let gx = logProbs.gradBuffer(), s = g[0] / n
        for (i, t) in targets.enumerated() where t != ignoreIndex { gx[i * c + Int(t)] -= s }
    }
}

/// Cross-entropy of `targets` given unnormalized `logits` [N, C], computed fused with
/// log-softmax (PyTorch `F.cross_entropy`). With label smoothing e the per-row loss is
/// `(1-e) * nll + e * mean_c(-log p_c)`. The gradient is `softmax - (1-e) onehot - e/C`,
/// computed from the saved per-row log-sum-exp without storing the probabilities.
public func crossEntropy(_ logits: Tensor, targets: [Int32], ignoreIndex: Int32? = nil,
                         labelSmoothing: Float = 0) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                 "cross_entropy: logits \(logits.shape) for \(targets.count) targets")
    precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing must be in [0, 1]")
    let rows = logits.shape[0], c = logits.shape[1]
    let e = labelSmoothing
    let lse = Tensor.uninitialized([rows])
    let rowLoss = UnsafeMutablePointer<Double>.allocate(capacity: rows)
    defer { rowLoss.deallocate() }
    let x = logits.data, l = lse.data
    Parallel.forEachChunk(rows, costPerItem: c * 3) { r in
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: c)
        defer { scratch.deallocate() }
        for i in r {
            let t = targets[i]
            if t == ignoreIndex { rowLoss[i] = 0; continue }
            precondition(t >= 0 && Int(t) < c, "target \(t) outside \(c) classes")
            let row = x + i * c
            let m = VectorMath.max(row, count: c)
            let s = VectorMath.expShifted(row, scratch, count: c, shift: -m)
            let logZ = Double(m) + Foundation.log(s)
            l[i] = Float(logZ)
            var loss = (1 - Double(e)) * (logZ - Double(row[Int(t)]))
            if e > 0 { loss += Double(e) * (logZ - VectorMath.sum(row, count: c) / Double(c)) }
            rowLoss[i] = loss
        }
    }
    var total = 0.0
    var counted = 0
    for i in 0..<rows where targets[i] != ignoreIndex { total += rowLoss[i]; counted += 1 }
    let n = Float(max(counted, 1))
    let out = Tensor(scalar: counted == 0 ? .nan : Float(total / Double(counted)))
    return out.recording("cross_entropy", [logits]) { _, g in
        let gx = logits.gradBuffer(), s = g[0] / n
        let uniform = e / Float(c)
        Parallel.forEachChunk(rows, costPerItem: c * 2) { r in
            for i in r {
                let t = targets[i]
                if t == ignoreIndex { continue }
                let row = x + i * c, dst = gx + i * c, shift = -lse.data[i]
                var j = 0
                typealias V = SIMD8<Float>
                let sv = V(repeating: s), sh = V(repeating: shift), u = V(repeating: uniform)
                while j + 8 <= c {
                    let p = VectorMath.exp(UnsafeRawPointer(row + j).loadUnaligned(as: V.self) + sh)
                    let d = UnsafeRawPointer(dst + j).loadUnaligned(as: V.self)
                    UnsafeMutableRawPointer(dst + j).storeBytes(of: d + sv * (p - u), as: V.self)
                    j += 8
                }
                while j < c { dst[j] += s * (VectorMath.exp(row[j] + shift) - uniform); j += 1 }
                dst[Int(t)] -= s * (1 - e)
            }
        }
    }
}

/// Kullback-Leibler divergence `sum target * (log target - input)` where `input` holds
/// log-probabilities and `target` probabilities (PyTorch `F.kl_div`, `log_target=False`).
public enum KLReduction: Sendable { case sum, mean, batchMean }

public func klDivergence(_ input: Tensor, target: Tensor, reduction: KLReduction = .batchMean) -> Tensor {
    precondition(input.shape == target.shape, "kl_div: input \(input.shape) vs target \(target.shape)")
    var total = 0.0
    for i in 0..<input.count {
        let t = Double(target.data[i])
        if t > 0 { total += t * (Foundation.log(t) - Double(input.data[i])) }
    }
    let divisor: Float
    switch reduction {
    case .sum: divisor = 1
    case .mean: divisor = Float(max(input.count, 1))
    case .batchMean: divisor = Float(max(input.shape.first ?? 1, 1))
    }
    let out = Tensor(scalar: Float(total) / divisor)
    return out.recording("kl_div", [input, target]) { _, g in
        let s = g[0] / divisor
        if input.requiresGrad {
            let gi = input.gradBuffer()
            for i in 0..<input.count { gi[i] -= s * target.data[i] }
        }
        if target.requiresGrad {
            let gt = target.gradBuffer()
            for i in 0..<target.count where target.data[i] > 0 {
                gt[i] += s * (Foundation.logf(target.data[i]) + 1 - input.data[i])
            }
        }
    }
}
