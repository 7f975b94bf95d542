/// Reverse-mode automatic differentiation over a graph recorded as operations run.
///
/// Each differentiable op attaches a `GradFn` to its result: the inputs it depends on and a
/// closure that, given the result and the gradient flowing into it, adds the input gradients
/// into their `gradBuffer()`s. Accumulating in place (rather than returning new tensors) lets
/// matrix products write gradients with BLAS `beta = 1` and slices add into a sub-range.
final class GradFn {
    let name: String
    let inputs: [Tensor]
    let backward: (_ output: Tensor, _ gradOutput: UnsafeMutablePointer<Float>) -> Void

    init(_ name: String, _ inputs: [Tensor],
         _ backward: @escaping (_ output: Tensor, _ gradOutput: UnsafeMutablePointer<Float>) -> Void) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether operations record the graph. Off inside `withNoGrad`, for evaluation and updates.
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording gradients (like `torch.no_grad()`).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

extension Tensor {
    /// Makes `output` a differentiable result of `inputs` when grad mode is on and any
    /// input requires a gradient; otherwise leaves it a constant.
    @discardableResult
    func recording(_ name: String, _ inputs: [Tensor],
                   _ backward: @escaping (_ output: Tensor, _ gradOutput: UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.requiresGrad }) else { return self }
        requiresGrad = true
        gradFn = GradFn(name, inputs, backward)
        return self
    }

    /// Back-propagates from this tensor. A scalar gets seed gradient 1; otherwise pass
    /// `gradient` of the same shape. Leaf tensors that require grad accumulate into `.grad`;
    /// the graph is released afterwards, as PyTorch does without `retain_graph`.
    public func backward(_ gradient: Tensor? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require grad")
        if let g = gradient {
            precondition(g.shape == shape, "gradient shape \(g.shape) != \(shape)")
            let buf = gradBuffer()
            for i in 0..<count { buf[i] += g.data[i] }
        } else {
            precondition(count == 1, "backward() without a gradient needs a scalar, shape is \(shape)")
            gradBuffer()[0] += 1
        }
        // Topological order by iterative depth-first search (graphs of RNNs are deep).
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (t, next) = stack.popLast() {
            let inputs = t.gradFn?.inputs ?? []
            if next < inputs.count {
                stack.append((t, next + 1))
                let child = inputs[next]
                if child.requiresGrad, !visited.contains(ObjectIdentifier(child)) {
                    visited.insert(ObjectIdentifier(child))
                    stack.append((child, 0))
                }
            } else {
                order.append(t)
            }
        }
        for t in order.reversed() {
            guard let fn = t.gradFn else { continue }
            if let g = t.gradStorage { fn.backward(t, g.base) }
            // Free the intermediate gradient and the graph behind it; a freed intermediate
            // used again later acts as a constant (as if detached).
            t.releaseGradient()
            t.gradFn = nil
            t.requiresGrad = false
        }
    }
}
