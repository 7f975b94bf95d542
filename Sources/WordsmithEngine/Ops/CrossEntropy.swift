import CWordsmithKernels
import Foundation

/// Cross-entropy of `targets` given unnormalized `logits` [N, C], computed fused with
/// log-softmax (PyTorch `F.cross_entropy`). With label smoothing e the per-row loss is
/// `(1-e) * nll + e * mean_c(-log p_c)`. The gradient is `softmax - (1-e) onehot - e/C`,
/// computed from the saved per-row log-sum-exp without storing the probabilities.
public func crossEntropy(_ logits: Tensor, targets: [Int32], ignoreIndex: Int32? = nil,
                         labelSmoothing: Float = 0) -> Tensor {
    precondition(logits.rank == 2 && logits.shape[0] == targets.count,
                 "cross_entropy: logits \(logits.shape) for \(targets.count) targets")
    let rows = CrossEntropyRows(count: logits.shape[0], classes: logits.shape[1], targets: targets,
                                ignoreIndex: ignoreIndex, labelSmoothing: labelSmoothing)
    let lse = Tensor.uninitialized([rows.count])
    let out = Tensor(scalar: rows.forward(logits.data, logSumExp: lse.data))
    return out.recording("cross_entropy", [logits]) { _, g in
        rows.backward(logits.data, into: logits.gradBuffer(), accumulate: true, logSumExp: lse.data, gradOutput: g[0])
    }
}

/// `crossEntropy(linear(x, weight, bias), targets)` as one operation, for the language models'
/// output layer, whose [N, V] scores are by far the largest tensor of a training step (93 MB
/// for 700 tokens over WikiText-2's 33,278 words).
///
/// Fusing saves full passes over those scores: the product starts from the bias, each row's
/// max and exp-sum are taken while it is in cache, and backward turns the scores into their
/// gradient in place (no zero-filled gradient buffer), sums the bias gradient in the same
/// pass, then runs the two matrix products from it. The scores are never exposed, so
/// overwriting them is safe. When no gradient is wanted (evaluation) the scores are never all held at once: see
/// `CrossEntropyRows.forwardInBlocks`.
/// x [N, in], weight [V, in], bias [V] -> scalar mean loss (same options as `crossEntropy`).
public func linearCrossEntropy(_ x: Tensor, weight: Tensor, bias: Tensor?, targets: [Int32],
                               ignoreIndex: Int32? = nil, labelSmoothing: Float = 0) -> Tensor {
    precondition(x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
                 "linear_cross_entropy: input \(x.shape) does not match weight \(weight.shape)")
    let n = x.shape[0], inF = x.shape[1], v = weight.shape[0]
    precondition(n == targets.count, "linear_cross_entropy: \(n) rows for \(targets.count) targets")
    if let bias { precondition(bias.shape == [v], "linear_cross_entropy: bias \(bias.shape) for \(v) outputs") }
    let rows = CrossEntropyRows(count: n, classes: v, targets: targets, ignoreIndex: ignoreIndex,
                                labelSmoothing: labelSmoothing)
    let needsGradient = GradMode.isEnabled && (x.requiresGrad || weight.requiresGrad || bias?.requiresGrad == true)
    if !needsGradient {
        return Tensor(scalar: rows.forwardInBlocks(x.data, features: inF, weight: weight.data, bias: bias?.data))
    }
    let scores = Storage(count: n * v, zeroed: false)
    let lse = Storage(count: n, zeroed: false)
    linearScores(x.data, rows: n, features: inF, weight: weight.data, bias: bias?.data, into: scores.base,
                 columns: 0..<v)
    let out = Tensor(scalar: rows.forward(scores.base, logSumExp: lse.base))
    let inputs = bias.map { [x, weight, $0] } ?? [x, weight]
    return out.recording("linear_cross_entropy", inputs) { _, g in
        let dScores = scores.base  // overwritten with d loss / d scores
        let biasGrad = bias.flatMap { $0.requiresGrad ? $0.gradBuffer() : nil }
        rows.backward(dScores, into: dScores, accumulate: false, logSumExp: lse.base, gradOutput: g[0],
                      biasGrad: biasGrad)
        if x.requiresGrad {  // dx[N,in] += dS[N,V] · W[V,in]
            GEMM.sgemm(transA: false, transB: false, m: n, n: inF, k: v, a: dScores, lda: v,
                       b: weight.data, ldb: inF, beta: 1, c: x.gradBuffer(), ldc: inF)
        }
        if weight.requiresGrad {  // dW[V,in] += dSᵀ[V,N] · x[N,in]
            GEMM.sgemm(transA: true, transB: false, m: v, n: inF, k: n, a: dScores, lda: v,
                       b: x.data, ldb: inF, beta: 1, c: weight.gradBuffer(), ldc: inF)
        }
    }
}

/// scores[rows, columns.count] = x · weight[columns]ᵀ + bias[columns]. The product starts
/// from the bias and adds onto it (beta 1): with beta 0 OpenBLAS first zeroes the scores in a
/// pass of its own; this way that pass writes the bias instead, and no later pass adds it.
/// `serial` keeps the product on the calling thread (the caller already splits the work).
private func linearScores(_ x: UnsafePointer<Float>, rows: Int, features: Int, weight: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, into scores: UnsafeMutablePointer<Float>,
                          columns: Range<Int>, serial: Bool = false) {
    let width = columns.count
    if let bias {
        let fill = { (r: Range<Int>) in
            for i in r { (scores + i * width).update(from: bias + columns.lowerBound, count: width) }
        }
        if serial { fill(0..<rows) } else { Parallel.forEachChunk(rows, costPerItem: width, fill) }
    }
    GEMM.sgemm(transA: false, transB: true, m: rows, n: width, k: features, a: x, lda: features,
               b: weight + columns.lowerBound * features, ldb: features, beta: bias == nil ? 0 : 1,
               c: scores, ldc: width, serial: serial)
}

/// The row-wise work of cross-entropy over [count, classes] scores, shared by the plain and
/// the fused op. Rows are split over the cores; the exp and max run in the C kernels
/// (AVX-512 / AVX2 chosen at run time).
struct CrossEntropyRows: Sendable {
    let count: Int
    let classes: Int
    let targets: [Int32]
    let ignoreIndex: Int32?
    let labelSmoothing: Float
    /// Rows that count towards the mean (targets other than `ignoreIndex`).
    let counted: Int

    init(count: Int, classes: Int, targets: [Int32], ignoreIndex: Int32?, labelSmoothing: Float) {
        precondition(labelSmoothing >= 0 && labelSmoothing <= 1, "label smoothing must be in [0, 1]")
        var counted = 0
        for t in targets where t != ignoreIndex {
            precondition(t >= 0 && Int(t) < classes, "target \(t) outside \(classes) classes")
            counted += 1
        }
        self.count = count
        self.classes = classes
        self.targets = targets
        self.ignoreIndex = ignoreIndex
        self.labelSmoothing = labelSmoothing
        self.counted = counted
    }

    /// Mean loss over the counted rows (NaN when none count); stores each row's log-sum-exp
    /// in `logSumExp`.
    func forward(_ scores: UnsafePointer<Float>, logSumExp: UnsafeMutablePointer<Float>) -> Float {
        let c = classes
        let losses = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
        defer { losses.deallocate() }
        Parallel.forEachChunk(count, costPerItem: c * 4) { r in
            for i in r {
                let row = scores + i * c
                let t = targets[i]
                if t == ignoreIndex { losses[i] = 0; logSumExp[i] = 0; continue }
                let m = ws_row_max(row, Int32(c))
                let logZ = Double(m) + Foundation.log(ws_exp_sum(row, -m, Int32(c)))
                logSumExp[i] = Float(logZ)
                losses[i] = rowLoss(logZ: logZ, targetScore: row[Int(t)], scoreSum: VectorMath.sum(row, count: c))
            }
        }
        guard counted > 0 else { return .nan }
        var total = 0.0
        for i in 0..<count where targets[i] != ignoreIndex { total += losses[i] }
        return Float(total / Double(counted))
    }

    /// One row's loss from its log-sum-exp: `(1-e) (logZ - s_target) + e (logZ - mean_c s_c)`
    /// (the sum of the row's scores is only taken with label smoothing).
    func rowLoss(logZ: Double, targetScore: Float, scoreSum: @autoclosure () -> Double) -> Double {
        let e = Double(labelSmoothing)
        let loss = (1 - e) * (logZ - Double(targetScore))
        return e > 0 ? loss + e * (logZ - scoreSum() / Double(classes)) : loss
    }

    /// The loss of `forward` for scores `x · weightᵀ + bias` (x [count, features], weight
    /// [classes, features]) without ever holding all of them: evaluation's path, which needs
    /// no gradient. Each core takes a range of the classes and walks it in blocks small
    /// enough that a block's scores for all rows stay in its cache: the product adds onto the
    /// bias there, and each row's running max and exp-sum take the block in (online softmax).
    func forwardInBlocks(_ x: UnsafePointer<Float>, features: Int, weight: UnsafePointer<Float>,
                         bias: UnsafePointer<Float>?) -> Float {
        let n = count, c = classes, e = Double(labelSmoothing)
        // ~1 MB of scores per block (an L2 cache), in whole vector widths. 512 KB measured
        // slower, 2 MB the same (WikiText-2 evaluation of the default LSTM).
        let blockColumns = min(c, max(16, 262_144 / max(n, 1) / 16 * 16))
        let parts = min(Parallel.coreCount, max(1, c / blockColumns))
        // Per part and row: running max, exp-sum relative to it, sum of scores (smoothing).
        let runMax = UnsafeMutablePointer<Float>.allocate(capacity: parts * n)
        let runSum = UnsafeMutablePointer<Double>.allocate(capacity: parts * n)
        let rowTotal = UnsafeMutablePointer<Double>.allocate(capacity: parts * n)
        let targetScore = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
        defer { runMax.deallocate(); runSum.deallocate(); rowTotal.deallocate(); targetScore.deallocate() }
        runMax.initialize(repeating: -.infinity, count: parts * n)
        runSum.initialize(repeating: 0, count: parts * n)
        rowTotal.initialize(repeating: 0, count: parts * n)
        targetScore.initialize(repeating: 0, count: max(n, 1))
        Parallel.forEachIndexedChunk(parts, costPerItem: 1 << 20) { _, partRange in
            for part in partRange {
                let lo = GEMM.blockEdge(part, of: parts, length: c), hi = GEMM.blockEdge(part + 1, of: parts, length: c)
                let block = Storage(count: n * blockColumns, zeroed: false)
                defer { withExtendedLifetime(block) {} }  // written through its base pointer below
                let m = runMax + part * n, z = runSum + part * n, total = rowTotal + part * n
                var start = lo
                while start < hi {
                    let width = min(blockColumns, hi - start), b = block.base
                    linearScores(x, rows: n, features: features, weight: weight, bias: bias, into: b,
                                 columns: start..<(start + width), serial: true)
                    for i in 0..<n where targets[i] != ignoreIndex {
                        let row = b + i * width
                        let blockMax = ws_row_max(row, Int32(width))
                        if blockMax > m[i] {
                            z[i] *= Foundation.exp(Double(m[i]) - Double(blockMax))
                            m[i] = blockMax
                        }
                        z[i] += ws_exp_sum(row, -m[i], Int32(width))
                        if e > 0 { total[i] += VectorMath.sum(row, count: width) }
                        let t = Int(targets[i])
                        if t >= start && t < start + width { targetScore[i] = row[t - start] }
                    }
                    start += width
                }
            }
        }
        guard counted > 0 else { return .nan }
        var loss = 0.0
        for i in 0..<n where targets[i] != ignoreIndex {
            var top = -Float.infinity
            for p in 0..<parts { top = max(top, runMax[p * n + i]) }
            var z = 0.0, sum = 0.0
            for p in 0..<parts {
                z += runSum[p * n + i] * Foundation.exp(Double(runMax[p * n + i]) - Double(top))
                sum += rowTotal[p * n + i]
            }
            loss += rowLoss(logZ: Double(top) + Foundation.log(z), targetScore: targetScore[i], scoreSum: sum)
        }
        return Float(loss / Double(counted))
    }

    /// Writes (or, with `accumulate`, adds) `gradOutput / counted * (softmax - (1-e) onehot - e/C)`
    /// into `grad`, which may be `scores` itself (ignored rows become 0 unless accumulating).
    /// With `biasGrad`, also adds the column sums of that gradient into it.
    func backward(_ scores: UnsafePointer<Float>, into grad: UnsafeMutablePointer<Float>, accumulate: Bool,
                  logSumExp: UnsafePointer<Float>, gradOutput: Float, biasGrad: UnsafeMutablePointer<Float>? = nil) {
        let c = classes, e = labelSmoothing
        let s = gradOutput / Float(max(counted, 1)), uniform = e / Float(c)
        let partials = biasGrad == nil ? 0 : Parallel.coreCount
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: max(partials * c, 1))
        defer { partial.deallocate() }
        if partials > 0 { partial.initialize(repeating: 0, count: partials * c) }
        Parallel.forEachIndexedChunk(count, costPerItem: c * 3) { chunk, r in
            // Each chunk sums its bias gradient separately (no sharing), added up below.
            let mine = partials > 0 ? partial + chunk * c : nil
            for i in r {
                let row = scores + i * c, dst = grad + i * c
                let t = targets[i]
                if t == ignoreIndex {
                    if !accumulate { dst.update(repeating: 0, count: c) }
                    continue
                }
                ws_scaled_exp(row, dst, -logSumExp[i], s, uniform, accumulate ? 1 : 0, Int32(c))
                dst[Int(t)] -= s * (1 - e)
                if let mine { VectorMath.axpy(1, dst, mine, count: c) }
            }
        }
        if let biasGrad {
            for p in 0..<partials { VectorMath.axpy(1, partial + p * c, biasGrad, count: c) }
        }
    }
}
