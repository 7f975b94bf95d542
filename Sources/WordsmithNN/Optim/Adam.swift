import Foundation
import WordsmithEngine

/// Adam and AdamW with PyTorch's semantics:
///     AdamW: p *= 1 - lr * wd   (decoupled weight decay);   Adam: g += wd * p
///     m = β1 m + (1-β1) g,   v = β2 v + (1-β2) g²
///     p -= lr / (1-β1ᵗ) * m / (√v / √(1-β2ᵗ) + ε)
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float
    /// True for AdamW (decoupled decay), false for Adam (L2 added to the gradient).
    public let decoupledWeightDecay: Bool
    let parameters: [Tensor]
    var moments: [ObjectIdentifier: (m: Tensor, v: Tensor)] = [:]
    public private(set) var stepCount = 0

    public init(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                eps: Float = 1e-8, weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.parameters = parameters
        self.learningRate = learningRate
        (beta1, beta2) = betas
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    /// AdamW with PyTorch's defaults (weight decay 0.01).
    public static func adamW(parameters: [Tensor], learningRate: Float = 1e-3, betas: (Float, Float) = (0.9, 0.999),
                             eps: Float = 1e-8, weightDecay: Float = 0.01) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, betas: betas, eps: eps,
             weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public func step(gradientScale gs: Float) {
        stepCount += 1
        let t = Float(stepCount)
        let bc1 = 1 - Foundation.powf(beta1, t), bc2 = 1 - Foundation.powf(beta2, t)
        let stepSize = learningRate / bc1, bc2Root = bc2.squareRoot()
        let constants = AdamConstants(
            gradientScale: gs, l2: decoupledWeightDecay ? 0 : weightDecay, beta1: beta1, beta2: beta2,
            decay: decoupledWeightDecay ? 1 - learningRate * weightDecay : 1,
            stepSize: stepSize, bc2Root: bc2Root, eps: eps)
        for p in parameters {
            guard let gt = p.grad else { continue }
            let id = ObjectIdentifier(p)
            let state = moments[id] ?? (Tensor(zeros: p.shape), Tensor(zeros: p.shape))
            moments[id] = state
            let x = p.data, g = gt.data, m = state.m.data, v = state.v.data
            // One memory-bound pass over four arrays, split over the cores for large tensors.
            Parallel.forEachChunk(p.count, costPerItem: 8) { r in
                VectorMath.adamUpdate(x + r.lowerBound, gradient: g + r.lowerBound, m: m + r.lowerBound,
                                      v: v + r.lowerBound, count: r.count, constants)
            }
        }
    }
}

extension Adam {
    public func state(names: [(String, Tensor)]) -> OptimizerState {
        var buffers: [String: Tensor] = [:]
        for (name, p) in names {
            guard let (m, v) = moments[ObjectIdentifier(p)] else { continue }
            buffers["exp_avg.\(name)"] = m
            buffers["exp_avg_sq.\(name)"] = v
        }
        return OptimizerState(step: stepCount, buffers: buffers)
    }

    public func restore(_ state: OptimizerState, names: [(String, Tensor)]) throws {
        try state.checkNames(["exp_avg", "exp_avg_sq"], names: names)
        var restored: [ObjectIdentifier: (m: Tensor, v: Tensor)] = [:]
        for (name, p) in names where state.buffers["exp_avg.\(name)"] != nil || state.buffers["exp_avg_sq.\(name)"] != nil {
            restored[ObjectIdentifier(p)] = (try state.buffer("exp_avg.\(name)", shape: p.shape),
                                             try state.buffer("exp_avg_sq.\(name)", shape: p.shape))
        }
        moments = restored
        stepCount = state.step
    }
}
