/// Finite-difference verification of gradients (like `torch.autograd.gradcheck`).
///
/// The function's output y is reduced to L = Σ wᵢ yᵢ with fixed random weights w (so no
/// symmetry can hide an error), dL/dx from backward is compared with the central difference
/// (L(x+ε) - L(x-ε)) / 2ε for every element of every input.
public struct GradientCheck {
    public struct Mismatch: CustomStringConvertible, Sendable {
        public let input: Int, index: Int
        public let analytic: Float, numeric: Float
        public var description: String {
            "input \(input) element \(index): backward gives \(analytic), finite difference \(numeric)"
        }
    }

    /// Step ε. Tensors are Float32: with ε = 1e-2 the truncation error (ε²·f''' ≈ 1e-4) and the
    /// rounding error (≈ 1e-7·|L|/ε ≈ 1e-5) both stay far below the O(1) relative error
    /// of a wrong derivative.
    public var eps: Float = 1e-2
    public var atol: Float = 1e-3
    public var rtol: Float = 1e-2

    public init(eps: Float = 1e-2, atol: Float = 1e-3, rtol: Float = 1e-2) {
        self.eps = eps
        self.atol = atol
        self.rtol = rtol
    }

    /// Returns every element whose analytic and numeric gradients disagree (empty: correct).
    /// `inputs` are perturbed in place and restored; they must require grad.
    public func mismatches(_ inputs: [Tensor], _ f: () -> Tensor) -> [Mismatch] {
        let probe = withNoGrad { f() }
        let weights = Tensor.uniform(probe.shape, low: -1, high: 1, generator: Generator(seed: 12345))
        func loss() -> Double {
            let y = withNoGrad { f() }
            var total = 0.0
            for i in 0..<y.count { total += Double(y.data[i]) * Double(weights.data[i]) }
            return total
        }
        for x in inputs { x.zeroGrad() }
        let y = f()
        precondition(y.requiresGrad, "gradient check: the output does not depend on any input that requires grad")
        y.backward(weights)
        var result: [Mismatch] = []
        for (n, x) in inputs.enumerated() {
            let analytic = x.grad?.scalars ?? [Float](repeating: 0, count: x.count)
            for i in 0..<x.count {
                let saved = x.data[i]
                x.data[i] = saved + eps
                let plus = loss()
                x.data[i] = saved - eps
                let minus = loss()
                x.data[i] = saved
                let numeric = Float((plus - minus) / (2 * Double(eps)))
                let a = analytic[i]
                if !(abs(a - numeric) <= atol + rtol * max(abs(a), abs(numeric))) {
                    result.append(Mismatch(input: n, index: i, analytic: a, numeric: numeric))
                }
            }
            x.zeroGrad()
        }
        return result
    }
}
