import Foundation
import WordsmithEngine

/// Updates parameters from their accumulated gradients (PyTorch `torch.optim` semantics).
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    /// One update of every parameter that has a gradient, as if each gradient had first been
    /// multiplied by `gradientScale`: gradient clipping (`clipScale`) folded into the update,
    /// one pass over the gradients fewer. The stored gradients are left as they are.
    func step(gradientScale: Float)
    /// The state carried between steps, its buffers named after the parameters in `names`
    /// (`Module.namedParameters()`). The buffers are the optimizer's own tensors, not copies:
    /// save them before the next step.
    func state(names: [(String, Tensor)]) -> OptimizerState
    /// Restores `state(names:)` of an optimizer over the same parameters.
    func restore(_ state: OptimizerState, names: [(String, Tensor)]) throws
}

extension Optimizer {
    /// One update of every parameter that has a gradient.
    public func step() { step(gradientScale: 1) }

    public func zeroGrad(_ parameters: [Tensor]) { for p in parameters { p.zeroGrad() } }
}

/// Scales all gradients together so that their total L2 norm is at most `maxNorm`
/// (PyTorch `clip_grad_norm_`, coefficient maxNorm / (norm + 1e-6)); returns the norm
/// before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    let norm = gradNorm(parameters)
    let coef = clipScale(norm: norm, maxNorm: maxNorm)
    if coef < 1 {
        for p in parameters {
            guard let g = p.grad else { continue }
            VectorMath.scale(g.data, by: coef, count: g.count)
        }
    }
    return norm
}

/// Total L2 norm of the gradients, without changing them.
public func gradNorm(_ parameters: [Tensor]) -> Float {
    var total = 0.0
    // Large gradients (the embedding and decoder: 13M of the LSTM's 14M) are summed on all
    // cores, each chunk separately; the partial sums are added in chunk order, so the norm
    // does not depend on timing.
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: Parallel.coreCount)
    defer { partial.deallocate() }
    for p in parameters {
        guard let g = p.grad?.data else { continue }
        if let rows = p.gradientRows {  // an embedding's: zero outside a batch's rows
            let width = p.rowWidth
            for r in rows { total += VectorMath.sumOfSquares(g + Int(r) * width, count: width) }
            continue
        }
        partial.initialize(repeating: 0, count: Parallel.coreCount)
        Parallel.forEachIndexedChunk(p.count) { chunk, r in
            partial[chunk] = VectorMath.sumOfSquares(g + r.lowerBound, count: r.count)
        }
        for c in 0..<Parallel.coreCount { total += partial[c] }
    }
    return Float(total.squareRoot())
}

/// The factor `clipGradNorm` multiplies the gradients by for a total norm `norm`: 1 when the
/// norm is within `maxNorm`, else maxNorm / (norm + 1e-6). For optimizers that fold the
/// clipping into their update (`Adam.step(gradientScale:)`).
public func clipScale(norm: Float, maxNorm: Float) -> Float {
    min(1, maxNorm / (norm + 1e-6))
}
