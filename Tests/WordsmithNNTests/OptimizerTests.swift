import Foundation
import Testing
import WordsmithEngine
import WordsmithNN

@Suite("Optimizers and schedules")
struct OptimizerTests {
    func parameter(_ values: [Float], grad: [Float]) -> Tensor {
        let p = Tensor(shape: [values.count], values: values, requiresGrad: true)
        (p * Tensor(shape: [grad.count], values: grad)).sum().backward()
        return p
    }

    @Test func sgdWithMomentumAndWeightDecayByHand() {
        let p = parameter([1, -2], grad: [0.5, 0.25])
        let opt = SGD(parameters: [p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        opt.step()  // b = g + wd p = [0.51, 0.23]; p -= 0.1 b
        #expect(abs(p.scalars[0] - 0.949) < 1e-6 && abs(p.scalars[1] - -2.023) < 1e-6)
        opt.step()  // g' = [0.5 + 0.00949, 0.25 - 0.02023]; b = 0.9 b + g'
        let b0 = 0.9 * 0.51 + 0.5 + 0.01 * 0.949
        #expect(abs(p.scalars[0] - Float(0.949 - 0.1 * b0)) < 1e-6)
    }

    @Test func adamWFirstStepIsSignTimesLearningRate() {
        let p = parameter([1, -1], grad: [3, -0.001])
        let opt = Adam.adamW(parameters: [p], learningRate: 0.01, weightDecay: 0.1)
        opt.step()
        // p *= 1 - lr wd, then p -= lr * m̂ / (√v̂ + ε) = lr * sign(g) (to within ε).
        #expect(abs(p.scalars[0] - (1 * (1 - 0.001) - 0.01)) < 1e-5)
        #expect(abs(p.scalars[1] - (-1 * (1 - 0.001) + 0.01)) < 1e-4)
    }

    @Test func adamAddsWeightDecayToTheGradient() {
        let p = parameter([2], grad: [0])
        let opt = Adam(parameters: [p], learningRate: 0.1, weightDecay: 0.5)
        opt.step()  // g = 0 + 0.5 * 2 = 1 -> step of -lr
        #expect(abs(p.scalars[0] - 1.9) < 1e-5)
    }

    @Test func clippingScalesToTheMaximumNorm() {
        let a = parameter([0, 0], grad: [3, 0]), b = parameter([0], grad: [4])
        let norm = clipGradNorm([a, b], maxNorm: 1)
        #expect(abs(norm - 5) < 1e-6)
        #expect(abs(gradNorm([a, b]) - 1) < 1e-5)
        #expect(abs(a.grad!.scalars[0] - 0.6) < 1e-5)
        let small = parameter([0], grad: [0.1])
        clipGradNorm([small], maxNorm: 1)
        #expect(small.grad!.scalars == [0.1])
    }

    /// Clipping folded into Adam's update gives bit for bit the parameters of clipping the
    /// gradients first, over several steps, and leaves the gradients unscaled.
    @Test func adamWithGradientScaleEqualsClippingFirst() {
        let values: [Float] = [0.5, -1.5, 2, 0.25], grads: [Float] = [3, -4, 0.5, 12]
        let a = parameter(values, grad: grads), b = parameter(values, grad: grads)
        let optA = Adam.adamW(parameters: [a], learningRate: 0.01), optB = Adam.adamW(parameters: [b], learningRate: 0.01)
        for _ in 0..<3 {
            clipGradNorm([a], maxNorm: 1)
            optA.step()
            optB.step(gradientScale: clipScale(norm: gradNorm([b]), maxNorm: 1))
            #expect(a.scalars == b.scalars)
            a.grad!.data.update(from: grads, count: grads.count)  // the next step's gradient
        }
        #expect(b.grad!.scalars == grads)
        #expect(clipScale(norm: 0.5, maxNorm: 1) == 1)
    }

    /// The same for SGD (the language models' update), on a parameter large enough to be split
    /// over the cores, with and without weight decay; the parallel gradient norm matches a
    /// plain double-precision sum.
    @Test(arguments: [Float(0), 0.01])
    func sgdWithGradientScaleEqualsClippingFirst(weightDecay: Float) {
        let n = 50_003, g = Generator(seed: 12)
        let values = (0..<n).map { _ in g.normal() }, grads = (0..<n).map { _ in g.normal() }
        let a = parameter(values, grad: grads), b = parameter(values, grad: grads)
        let expectedNorm = grads.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(abs(Double(gradNorm([b])) - expectedNorm) <= 1e-6 * expectedNorm)
        let optA = SGD(parameters: [a], learningRate: 20, weightDecay: weightDecay)
        let optB = SGD(parameters: [b], learningRate: 20, weightDecay: weightDecay)
        for _ in 0..<2 {
            clipGradNorm([a], maxNorm: 0.25)
            optA.step()
            optB.step(gradientScale: clipScale(norm: gradNorm([b]), maxNorm: 0.25))
            #expect(a.scalars == b.scalars)
            a.grad!.data.update(from: grads, count: n)
        }
        #expect(b.grad!.scalars == grads)
    }

    /// SGD and the gradient norm over a row-sparse embedding gradient (only the looked-up
    /// rows) give bit for bit the update of the same gradient made dense, step after step.
    @Test func sparseEmbeddingUpdateEqualsDense() {
        let (rows, dim) = (1_000, 20), g = Generator(seed: 5)
        let start = (0..<rows * dim).map { _ in g.normal() }
        let sparse = Tensor(shape: [rows, dim], values: start, requiresGrad: true)
        let dense = Tensor(shape: [rows, dim], values: start, requiresGrad: true)
        let optSparse = SGD(parameters: [sparse], learningRate: 20), optDense = SGD(parameters: [dense], learningRate: 20)
        for _ in 0..<3 {
            let ids = IndexTensor(shape: [64], values: (0..<64).map { _ in Int32(g.int(below: 200) * 5) })
            let upstream = Tensor(shape: [64, dim], values: (0..<64 * dim).map { _ in g.normal() })
            (embedding(sparse, ids) * upstream).sum().backward()
            ((embedding(dense, ids) * upstream).sum() + (dense * 0).sum()).backward()  // a dense write
            #expect(sparse.gradientRows == Array(Set(ids.values)).sorted())
            #expect(dense.gradientRows == nil)
            #expect(sparse.grad!.scalars == dense.grad!.scalars)
            let normSparse = gradNorm([sparse]), normDense = gradNorm([dense])
            #expect(abs(normSparse - normDense) <= 1e-6 * normDense)
            let gs = clipScale(norm: normDense, maxNorm: 0.25)
            optSparse.step(gradientScale: gs)
            optDense.step(gradientScale: gs)
            #expect(sparse.scalars == dense.scalars)
            sparse.zeroGrad()
            dense.zeroGrad()
        }
        #expect(sparse.scalars != start)
    }

    /// The vector kernel (vector body and padded tail) rounds exactly as Adam's scalar formula,
    /// with and without decoupled weight decay, over several steps.
    @Test(arguments: [false, true])
    func adamKernelMatchesTheScalarFormula(decoupled: Bool) {
        let n = 37, g = Generator(seed: 11)
        let start = (0..<n).map { _ in g.normal() }, grads = (0..<n).map { _ in g.normal() * 3 }
        let p = parameter(start, grad: grads)
        let opt = Adam(parameters: [p], learningRate: 0.02, weightDecay: 0.1, decoupledWeightDecay: decoupled)
        var x = start, m = [Float](repeating: 0, count: n), v = m
        let (b1, b2, eps, lr, wd, gs): (Float, Float, Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.02, 0.1, 0.7)
        for t in 1...3 {
            opt.step(gradientScale: gs)
            let stepSize = lr / (1 - powf(b1, Float(t))), bc2Root = (1 - powf(b2, Float(t))).squareRoot()
            for i in 0..<n {
                let gi = grads[i] * gs + (decoupled ? 0 : wd) * x[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                x[i] = x[i] * (decoupled ? 1 - lr * wd : 1) - stepSize * m[i] / (v[i].squareRoot() / bc2Root + eps)
            }
            #expect(p.scalars == x)
        }
    }

    /// Four steps in one go equal two steps, the state saved to a safetensors file and read
    /// back into a fresh optimizer, then two more: bit for bit.
    @Test(arguments: ["adamw", "sgd-momentum"])
    func savedStateContinuesExactly(kind: String) throws {
        func make(_ params: [Tensor]) -> Optimizer {
            kind == "adamw" ? Adam.adamW(parameters: params, learningRate: 0.01, weightDecay: 0.1)
                : SGD(parameters: params, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        }
        func params() -> [(String, Tensor)] {
            [("w", Tensor(shape: [2, 3], values: [1, -2, 0.5, 3, -1, 2], requiresGrad: true)),
             ("b", Tensor(shape: [3], values: [0.1, 0.2, -0.3], requiresGrad: true))]
        }
        func step(_ opt: Optimizer, _ named: [(String, Tensor)], _ t: Int) {
            for (_, p) in named {
                p.zeroGrad()
                let g = (0..<p.count).map { Float(($0 * 7 + t * 3) % 5) - 2 + Float(t) * 0.1 }
                (p * Tensor(shape: p.shape, values: g)).sum().backward()
            }
            opt.step()
        }
        let straight = params(), a = make(straight.map(\.1))
        for t in 0..<4 { step(a, straight, t) }

        let first = params(), b = make(first.map(\.1))
        for t in 0..<2 { step(b, first, t) }
        let file = try SafeTensors(data: b.state(names: first).safetensors().serialized())
        let second = params()
        for ((_, p), (_, q)) in zip(second, first) { p.assign(q) }
        let c = make(second.map(\.1))
        try c.restore(try OptimizerState(file), names: second)
        for t in 2..<4 { step(c, second, t) }
        for ((_, p), (_, q)) in zip(straight, second) { #expect(p.scalars == q.scalars) }

        // A state is refused by a model whose parameters are named or shaped otherwise.
        let renamed = [("v", second[0].1), ("b", second[1].1)]
        #expect(throws: OptimizerState.LoadError.self) { try make(renamed.map(\.1)).restore(try OptimizerState(file), names: renamed) }
        let reshaped = [("w", Tensor(zeros: [3, 2])), ("b", second[1].1)]
        #expect(throws: OptimizerState.LoadError.self) { try make(reshaped.map(\.1)).restore(try OptimizerState(file), names: reshaped) }
    }

    @Test func schedules() {
        let noam = LearningRateSchedule.inverseSquareRoot(dModel: 512, warmup: 4000, scale: 1)
        #expect(noam.rate(at: 2000) < noam.rate(at: 4000))
        #expect(noam.rate(at: 16000) < noam.rate(at: 4000))
        #expect(abs(noam.rate(at: 4000) - powf(512, -0.5) * powf(4000, -0.5)) < 1e-9)
        #expect(LearningRateSchedule.linearWarmup(peak: 1, warmup: 10).rate(at: 5) == 0.5)
        #expect(LearningRateSchedule.linearWarmup(peak: 1, warmup: 10).rate(at: 50) == 1)
    }

    @Test func trainingReducesLossOnAToyProblem() {
        // Fit y = 2x - 1 with a Linear layer: loss must fall by orders of magnitude.
        let g = Generator(seed: 3)
        let lin = Linear(1, 1, generator: g)
        let x = Tensor(shape: [8, 1], values: (0..<8).map { Float($0) / 8 })
        let y = Tensor(shape: [8, 1], values: (0..<8).map { 2 * Float($0) / 8 - 1 })
        let opt = Adam(parameters: lin.parameters(), learningRate: 0.1)
        var first: Float = 0, last: Float = 0
        for step in 0..<300 {
            lin.zeroGrad()
            let loss = (lin(x) - y).squared().mean()
            if step == 0 { first = loss.item }
            last = loss.item
            loss.backward()
            opt.step()
        }
        #expect(last < first / 100, "loss \(first) -> \(last)")
    }
}
