import Testing
import WordsmithEngine

@Suite("Autodiff semantics")
struct AutogradTests {
    @Test func gradientsAccumulateAcrossBackwardCalls() {
        let w = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        (w * 3).sum().backward()
        (w * w).sum().backward()
        expectValues(w.grad!, [3 + 2, 3 + 4])
        w.zeroGrad()
        #expect(w.grad == nil)
    }

    @Test func sharedTensorGetsOneSummedGradient() {
        // A tied weight used twice (as embedding and decoder) receives the sum.
        let w = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6], requiresGrad: true)
        let e = embedding(w, IndexTensor(shape: [1], values: [2] as [Int32]))  // [1,2] = [5,6]
        let y = linear(e, weight: w, bias: nil)  // [1,3]
        y.sum().backward()
        // d/dw of sum(w @ e): every row gets e = [5,6]; plus the embedding row 2 gets colsum(w) = [9,12].
        expectValues(w.grad!, [5, 6, 5, 6, 5 + 9, 6 + 12])
        #expect(w.gradientRows == nil)  // the decoder's dense gradient came first
    }

    /// An embedding table's gradient records the rows a lookup touched (sorted, unique) and
    /// is zero elsewhere; more lookups add rows; any other gradient makes it dense; after
    /// `zeroGrad` the reused buffer holds no trace of the previous rows.
    @Test func embeddingGradientIsRowSparseUntilADenseWrite() {
        let w = Tensor(shape: [6, 2], values: (0..<12).map(Float.init), requiresGrad: true)
        let scale = Tensor(shape: [4, 2], values: [1, 2, 3, 4, 5, 6, 7, 8])
        (embedding(w, IndexTensor(shape: [4], values: [4, 1, 4, 0] as [Int32])) * scale).sum().backward()
        #expect(w.gradientRows == [0, 1, 4])
        expectValues(w.grad!, [7, 8, 3, 4, 0, 0, 0, 0, 1 + 5, 2 + 6, 0, 0])
        embedding(w, IndexTensor(shape: [1], values: [5] as [Int32])).sum().backward()
        #expect(w.gradientRows == [0, 1, 4, 5])
        expectValues(w.grad!, [7, 8, 3, 4, 0, 0, 0, 0, 6, 8, 1, 1])

        w.zeroGrad()
        #expect(w.grad == nil && w.gradientRows == nil)
        embedding(w, IndexTensor(shape: [2], values: [2, 2] as [Int32])).sum().backward()
        #expect(w.gradientRows == [2])
        expectValues(w.grad!, [0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 0, 0])

        (w * 3).sum().backward()
        #expect(w.gradientRows == nil)
        expectValues(w.grad!, [3, 3, 3, 3, 5, 5, 3, 3, 3, 3, 3, 3])
        embedding(w, IndexTensor(shape: [1], values: [0] as [Int32])).sum().backward()
        #expect(w.gradientRows == nil)
        expectValues(w.grad!, [4, 4, 3, 3, 5, 5, 3, 3, 3, 3, 3, 3])
    }

    @Test func noGradModeRecordsNothing() {
        let w = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        let y = withNoGrad { w * 2 }
        #expect(!y.requiresGrad)
        let z = w * 2
        #expect(z.requiresGrad)
    }

    @Test func detachCutsTheGraphButSharesValues() {
        let w = Tensor(shape: [2], values: [1, 2], requiresGrad: true)
        let h = w * 2
        let d = h.detached()
        #expect(!d.requiresGrad)
        #expect(d.scalars == [2, 4])
        let loss = (d * w).sum()
        loss.backward()
        expectValues(w.grad!, [2, 4])  // only the direct path, not through d
    }

    @Test func longChainsDoNotOverflowTheStack() {
        let w = Tensor(shape: [1], values: [1], requiresGrad: true)
        var x = w
        for _ in 0..<20_000 { x = x * 1.0001 }
        x.sum().backward()
        #expect(abs(w.grad!.item - Float(pow(1.0001, 20_000.0))) < 0.01)
    }

    @Test func broadcastingForwardValues() {
        let a = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        expectValues(a + Tensor(shape: [3], values: [10, 20, 30]), [11, 22, 33, 14, 25, 36])
        expectValues(a * Tensor(shape: [2, 1], values: [2, 3]), [2, 4, 6, 12, 15, 18])
        expectValues(a - Tensor(scalar: 1), [0, 1, 2, 3, 4, 5])
        #expect((a + Tensor(shape: [1, 2, 1], values: [0, 1])).shape == [1, 2, 3])
    }

    @Test func viewsShareStorage() {
        let a = Tensor(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let row = a.narrow(0, start: 1, length: 2)
        #expect(row.storage === a.storage && row.scalars == [3, 4, 5, 6])
        #expect(a.reshaped([2, -1]).shape == [2, 3])
        #expect(a.transposed().scalars == [1, 3, 5, 2, 4, 6])
        #expect(Tensor.concat([a, a], dim: 1).scalars == [1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6])
    }

    @Test func softmaxIgnoresMaskedEntriesExactly() {
        let s = Tensor(shape: [1, 3], values: [1, -.infinity, 1]).softmax()
        #expect(s.scalars == [0.5, 0, 0.5])
        let ls = Tensor(shape: [1, 4], values: [1000, 0, -1000, 1000]).logSoftmax()
        #expect(abs(ls.scalars[0] + Float(M_LN2)) < 1e-5 && ls.scalars[2] < -1999)
    }

    @Test func crossEntropyMatchesLogSoftmaxPlusNLL() {
        let logits = Tensor.uniform([6, 40], low: -3, high: 3, generator: Generator(seed: 5))
        let t: [Int32] = [3, 39, 0, 7, 7, 12]
        let a = crossEntropy(logits, targets: t).item, b = nllLoss(logits.logSoftmax(), targets: t).item
        #expect(abs(a - b) < 1e-5)
        // Label smoothing by hand: (1-e) nll + e * mean(-log p).
        let lp = logits.logSoftmax().scalars
        var expected = 0.0
        for (i, ti) in t.enumerated() {
            let row = lp[(i * 40)..<((i + 1) * 40)]
            expected += 0.9 * Double(-row[row.startIndex + Int(ti)]) + 0.1 * Double(-row.reduce(0, +) / 40)
        }
        #expect(abs(Double(crossEntropy(logits, targets: t, labelSmoothing: 0.1).item) - expected / 6) < 1e-5)
    }

    /// The fused output layer + loss gives the loss and gradients of the two separate ops.
    @Test func linearCrossEntropyEqualsLinearThenCrossEntropy() {
        let g = Generator(seed: 21)
        let x = Tensor.normal([9, 16], generator: g).requiringGrad()
        let w = Tensor.normal([37, 16], generator: g).requiringGrad()
        let b = Tensor.normal([37], generator: g).requiringGrad()
        let t: [Int32] = [0, 36, 5, 5, 17, 2, 36, 9, 11]
        for (ignore, smoothing): (Int32?, Float) in [(nil, 0), (5, 0.1)] {
            let fused = linearCrossEntropy(x, weight: w, bias: b, targets: t, ignoreIndex: ignore, labelSmoothing: smoothing)
            fused.backward()
            let (gx, gw, gb) = (x.grad!.scalars, w.grad!.scalars, b.grad!.scalars)
            for p in [x, w, b] { p.zeroGrad() }
            let plain = crossEntropy(linear(x, weight: w, bias: b), targets: t, ignoreIndex: ignore, labelSmoothing: smoothing)
            plain.backward()
            #expect(abs(fused.item - plain.item) < 1e-5)
            for (got, want) in [(gx, x.grad!.scalars), (gw, w.grad!.scalars), (gb, b.grad!.scalars)] {
                #expect(zip(got, want).allSatisfy { abs($0 - $1) < 1e-6 })
            }
            for p in [x, w, b] { p.zeroGrad() }
        }
    }

    @Test func klDivergenceByHand() {
        let p = Tensor(shape: [1, 2], values: [0.25, 0.75])
        let logQ = Tensor(shape: [1, 2], values: [log(0.5), log(0.5)])
        let expected = 0.25 * log(0.25 / 0.5) + 0.75 * log(0.75 / 0.5)
        #expect(abs(klDivergence(logQ, target: p, reduction: .sum).item - Float(expected)) < 1e-6)
        // Zero target probabilities contribute nothing (0 log 0 = 0).
        #expect(abs(klDivergence(logQ, target: Tensor(shape: [1, 2], values: [0, 1]), reduction: .sum).item - Float(-log(0.5))) < 1e-6)
    }
}

import Foundation
