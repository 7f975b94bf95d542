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
