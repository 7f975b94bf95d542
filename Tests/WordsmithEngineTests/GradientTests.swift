import Testing
import WordsmithEngine

/// A finite-difference gradient check for every differentiable operation.
@Suite("Finite-difference gradients of every op")
struct GradientTests {
    @Test func arithmeticWithBroadcasting() {
        let a = param([2, 3, 4], seed: 1), b = param([2, 3, 4], seed: 2)
        let row = param([4], seed: 3), scalar = param([1], seed: 4), col = param([3, 1], seed: 5)
        let denom = param([2, 3, 4], 0.5, 2, seed: 6)
        expectGradients([a, b]) { a + b }
        expectGradients([a, b]) { a - b }
        expectGradients([a, b]) { a * b }
        expectGradients([a, denom]) { a / denom }
        expectGradients([a, row]) { a * row + row }
        expectGradients([a, scalar]) { a * scalar - scalar }
        expectGradients([a, col]) { a * col + col }  // general broadcast [3,1] against [2,3,4]
        expectGradients([row, a]) { row / (a * a + 1) }
    }

    @Test func scalarArithmetic() {
        let a = param([3, 5])
        expectGradients([a]) { (2 * a + 1) - 3 }
        expectGradients([a]) { -a / 4 + 0.5 * a - (1 - a) }
    }

    @Test func activations() {
        let a = param([4, 6], -2, 2)
        var away = param([4, 6], 0.1, 1.5, seed: 9)
        away = Tensor(shape: away.shape, values: away.scalars.enumerated().map { $0.offset % 2 == 0 ? $0.element : -$0.element }, requiresGrad: true)
        let positive = param([4, 6], 0.5, 2, seed: 10)
        expectGradients([a]) { a.tanh() }
        expectGradients([a]) { a.sigmoid() }
        expectGradients([away]) { away.relu() }  // kept away from the kink at 0
        expectGradients([a]) { a.gelu() }
        expectGradients([a]) { a.exp() }
        expectGradients([positive]) { positive.log() }
        expectGradients([positive]) { positive.sqrt() }
        expectGradients([a]) { a.squared() }
    }

    @Test func reductions() {
        let a = param([3, 4, 5])
        expectGradients([a]) { a.sum() }
        expectGradients([a]) { a.mean() }
        expectGradients([a]) { a.sum(axis: 1) }
        expectGradients([a]) { a.mean(axis: -1, keepingDims: true) }
        expectGradients([a]) { a.sum(axis: 0) }
    }

    @Test func shapeOperations() {
        let a = param([3, 4, 5]), b = param([3, 2, 5], seed: 2)
        expectGradients([a]) { a.reshaped([12, 5]) * a.reshaped([12, 5]) }
        expectGradients([a]) { a.narrow(0, start: 1, length: 2) }  // view
        expectGradients([a]) { a.narrow(1, start: 1, length: 2) }  // copy
        expectGradients([a]) { a.narrow(2, start: 3, length: 2) * 2 }
        expectGradients([a]) { a.select(1, 2) }
        expectGradients([a, b]) { Tensor.concat([a, b, a], dim: 1) }
        expectGradients([a]) { Tensor.stack([a, a * 2], dim: 1) }
        expectGradients([a]) { a.permuted([2, 0, 1]) }
        expectGradients([a]) { a.transposed(0, 1) * 3 }
    }

    @Test func matrixProducts() {
        let a = param([3, 4]), b = param([4, 5], seed: 2), bt = param([5, 4], seed: 3)
        let ba = param([2, 3, 4], seed: 4), bb = param([2, 4, 5], seed: 5), bbt = param([2, 5, 4], seed: 6)
        expectGradients([a, b]) { a.matmul(b) }
        expectGradients([a, bt]) { a.matmul(bt, transposingB: true) }
        expectGradients([ba, bb]) { ba.matmul(bb) }
        expectGradients([ba, bbt]) { ba.matmul(bbt, transposingB: true) }
        expectGradients([a]) { a.matmul(a, transposingB: true) }  // same tensor on both sides
    }

    @Test func linearLayerOp() {
        let x = param([2, 3, 4]), w = param([5, 4], seed: 2), b = param([5], seed: 3)
        expectGradients([x, w, b]) { linear(x, weight: w, bias: b) }
        expectGradients([x, w]) { linear(x, weight: w, bias: nil) }
    }

    @Test func embeddingLookup() {
        let w = param([6, 3])
        // Repeated ids must sum their gradients.
        expectGradients([w]) { embedding(w, IndexTensor(shape: [2, 3], values: [1, 4, 1, 0, 5, 1])) }
    }

    @Test func softmaxFamily() {
        let a = param([4, 7], -3, 3)
        expectGradients([a]) { a.softmax() }
        expectGradients([a]) { a.logSoftmax() }
        let masked = param([2, 3], seed: 2)
        let mask = Tensor(shape: [2, 3], values: [0, -.infinity, 0, 0, 0, -.infinity])
        expectGradients([masked]) { (masked + mask).softmax() }
    }

    @Test func layerNormalization() {
        let x = param([3, 6], -2, 2), w = param([6], 0.5, 1.5, seed: 2), b = param([6], seed: 3)
        expectGradients([x, w, b]) { layerNorm(x, weight: w, bias: b) }
        expectGradients([x]) { layerNorm(x, weight: nil, bias: nil) }
    }

    @Test func dropoutMask() {
        let x = param([4, 5])
        // A fresh generator per evaluation keeps the mask fixed across the finite differences.
        expectGradients([x]) { dropout(x, p: 0.4, generator: Generator(seed: 3)) }
    }

    @Test func losses() {
        let logits = param([5, 6], -2, 2)
        let targets: [Int32] = [1, 0, 5, 2, 3]
        expectGradients([logits]) { nllLoss(logits.logSoftmax(), targets: targets) }
        expectGradients([logits]) { nllLoss(logits.logSoftmax(), targets: targets, ignoreIndex: 2) }
        expectGradients([logits]) { crossEntropy(logits, targets: targets) }
        expectGradients([logits]) { crossEntropy(logits, targets: targets, ignoreIndex: 0, labelSmoothing: 0.1) }
        let x = param([5, 4], seed: 11), w = param([6, 4], seed: 12), b = param([6], seed: 13)
        expectGradients([x, w, b]) { linearCrossEntropy(x, weight: w, bias: b, targets: targets) }
        expectGradients([x, w]) { linearCrossEntropy(x, weight: w, bias: nil, targets: targets, ignoreIndex: 5, labelSmoothing: 0.2) }
        let target = param([5, 6], 0.01, 1, seed: 7).softmax().detached()
        expectGradients([logits]) { klDivergence(logits.logSoftmax(), target: target, reduction: .batchMean) }
        let p = param([5, 6], -1, 1, seed: 8)
        let tp = Tensor(shape: [5, 6], values: p.softmax().scalars, requiresGrad: true)
        expectGradients([tp], check: GradientCheck(eps: 1e-3, atol: 2e-3, rtol: 2e-2)) {
            klDivergence(logits.logSoftmax().detached(), target: tp, reduction: .sum)
        }
    }

    /// A whole recurrent layer (every step, the cell state, the recurrent weight), per cell.
    @Test(arguments: [RecurrentCell.lstm, .gru, .tanh])
    func recurrentLayers(cell: RecurrentCell) {
        let h = 4, g = cell.gateCount * h
        let x = param([3, 2, g], -1.5, 1.5, seed: 1), h0 = param([2, h], seed: 2)
        let w = param([g, h], -0.8, 0.8, seed: 3), b = param([g], seed: 4)
        let c0 = cell == .lstm ? param([2, h], seed: 5) : nil
        expectGradients([x, h0, w, b] + (c0.map { [$0] } ?? [])) {
            recurrentLayer(cell, projected: x, h0: h0, c0: c0, weight: w, bias: b)
        }
    }

    /// RNN_RELU away from the kink: positive pre-activations.
    @Test func reluRecurrentLayer() {
        let x = param([3, 2, 4], 0.5, 1.5, seed: 6), h0 = param([2, 4], 0, 1, seed: 7)
        let w = param([4, 4], 0, 0.5, seed: 8), b = param([4], 0, 0.5, seed: 9)
        expectGradients([x, h0, w, b]) { recurrentLayer(.relu, projected: x, h0: h0, weight: w, bias: b) }
    }
}
