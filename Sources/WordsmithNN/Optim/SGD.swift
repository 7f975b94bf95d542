import WordsmithEngine

/// Stochastic gradient descent, optionally with momentum and L2 weight decay:
///     g += wd * p;  b = μ b + g;  p -= lr * b
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let weightDecay: Float
    let parameters: [Tensor]
    var velocity: [ObjectIdentifier: Tensor] = [:]

    public init(parameters: [Tensor], learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
    }

    public func step(gradientScale gs: Float) {
        for p in parameters {
            guard let gt = p.grad else { continue }
            let x = p.data, g = gt.data, n = p.count, lr = learningRate, wd = weightDecay
            if momentum == 0, wd == 0, let rows = p.gradientRows {
                // A row-sparse gradient (an embedding's) leaves the other rows unchanged.
                let w = p.rowWidth
                for r in rows { VectorMath.axpy(-lr, g + Int(r) * w, scaledBy: gs, x + Int(r) * w, count: w) }
                continue
            }
            if momentum == 0 {
                // p = p·(1 - lr·wd) - lr·(g·gs): one memory-bound pass, split over the cores.
                Parallel.forEachChunk(n, costPerItem: 3) { r in
                    let xr = x + r.lowerBound, gr = g + r.lowerBound
                    if wd != 0 { VectorMath.scale(xr, by: 1 - lr * wd, count: r.count) }
                    VectorMath.axpy(-lr, gr, scaledBy: gs, xr, count: r.count)
                }
                continue
            }
            let id = ObjectIdentifier(p)
            if let b = velocity[id]?.data {
                for i in 0..<n { b[i] = momentum * b[i] + (g[i] * gs + wd * x[i]); x[i] -= lr * b[i] }
            } else {
                let buf = Tensor(zeros: p.shape)
                let b = buf.data
                for i in 0..<n { b[i] = g[i] * gs + wd * x[i]; x[i] -= lr * b[i] }
                velocity[id] = buf
            }
        }
    }
}

extension SGD {
    public func state(names: [(String, Tensor)]) -> OptimizerState {
        var buffers: [String: Tensor] = [:]
        for (name, p) in names { if let b = velocity[ObjectIdentifier(p)] { buffers["momentum_buffer.\(name)"] = b } }
        return OptimizerState(buffers: buffers)
    }

    public func restore(_ state: OptimizerState, names: [(String, Tensor)]) throws {
        try state.checkNames(["momentum_buffer"], names: names)
        var restored: [ObjectIdentifier: Tensor] = [:]
        for (name, p) in names where state.buffers["momentum_buffer.\(name)"] != nil {
            restored[ObjectIdentifier(p)] = try state.buffer("momentum_buffer.\(name)", shape: p.shape)
        }
        velocity = restored
    }
}
