import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// The training loop of PyTorch's `word_language_model/main.py`: truncated BPTT over
/// `bptt`-long chunks, hidden state detached between chunks, gradient clipping, then
/// SGD (`p -= lr * grad`) or AdamW.
public final class Trainer {
    public enum OptimizerKind: String, CaseIterable, Sendable { case sgd, adamw }

    public let model: LanguageModel
    public var learningRate: Float
    public let clip: Float
    public let bptt: Int
    let parameters: [Tensor]
    let optimizer: Optimizer

    public init(model: LanguageModel, learningRate: Float, clip: Float, bptt: Int, optimizer: OptimizerKind = .sgd) {
        self.model = model
        self.learningRate = learningRate
        self.clip = clip
        self.bptt = bptt
        parameters = model.module.parameters()
        // The example's update is plain SGD: p -= lr * grad.
        self.optimizer = optimizer == .adamw ? Adam.adamW(parameters: parameters, learningRate: learningRate)
            : SGD(parameters: parameters, learningRate: learningRate)
    }

    /// The optimizer's state between steps (empty for plain SGD), to save with the model.
    public func optimizerState() -> OptimizerState {
        optimizer.state(names: model.module.namedParameters())
    }

    /// Restores `optimizerState()` saved by a run of the same model and optimizer.
    public func restoreOptimizer(_ state: OptimizerState) throws {
        try optimizer.restore(state, names: model.module.namedParameters())
    }

    /// What the loop reports every `logInterval` batches.
    public struct Progress: Sendable {
        public var batch: Int
        public var batches: Int
        public var learningRate: Float
        public var msPerBatch: Double
        public var loss: Double
        public var tokensPerSecond: Double
        public var perplexity: Double { exp(loss) }
    }

    public enum TrainingError: Error, CustomStringConvertible {
        case nonFiniteLoss(batch: Int, loss: Float)
        public var description: String {
            switch self {
            case .nonFiniteLoss(let b, let l):
                return "the loss became \(l) at batch \(b); training stopped (try a lower --lr or a smaller --clip)"
            }
        }
    }

    /// One pass over `data`. Calls `report` every `logInterval` batches (and `shouldStop`
    /// before each batch, for Ctrl-C); `maxBatches` limits the pass (for --dry-run).
    /// `afterStep(n)` runs after every `stepInterval`-th update (n updates done), for
    /// evaluations during the epoch; the training it sees is not changed by it, so long as it
    /// only evaluates (`evaluate` draws no random numbers and keeps its own hidden state).
    /// Returns the mean training loss.
    @discardableResult
    public func trainEpoch(_ data: BatchedStream, logInterval: Int, maxBatches: Int? = nil,
                           stepInterval: Int? = nil, afterStep: (Int) -> Void = { _ in },
                           shouldStop: () -> Bool = { false }, report: (Progress) -> Void) throws -> Double {
        model.module.train()
        var state = model.initialState(batch: data.batchSize)
        var intervalLoss = 0.0, intervalTokens = 0, epochLoss = 0.0, epochBatches = 0
        var intervalStart = Date()
        let batches = data.chunkCount(bptt: bptt)
        for (batch, i) in data.chunkStarts(bptt: bptt).enumerated() {
            if let maxBatches, batch >= maxBatches { break }
            if shouldStop() { break }
            let (input, targets) = data.chunk(at: i, bptt: bptt)
            model.module.zeroGrad()
            let (loss, next) = model.loss(input, targets: targets, state?.detached())
            state = next
            guard loss.item.isFinite else { throw TrainingError.nonFiniteLoss(batch: batch, loss: loss.item) }
            loss.backward()
            // clip_grad_norm_ then step, with the clipping folded into the update.
            optimizer.learningRate = learningRate
            optimizer.step(gradientScale: clipScale(norm: gradNorm(parameters), maxNorm: clip))
            intervalLoss += Double(loss.item)
            intervalTokens += targets.count
            epochLoss += Double(loss.item)
            epochBatches += 1
            if batch % logInterval == 0 && batch > 0 {
                let elapsed = Date().timeIntervalSince(intervalStart)
                report(Progress(batch: batch, batches: batches, learningRate: learningRate,
                                msPerBatch: elapsed * 1000 / Double(logInterval), loss: intervalLoss / Double(logInterval),
                                tokensPerSecond: Double(intervalTokens) / elapsed))
                intervalLoss = 0
                intervalTokens = 0
                intervalStart = Date()
            }
            if let stepInterval, epochBatches % stepInterval == 0 {
                let paused = Date()
                afterStep(epochBatches)
                intervalStart += Date().timeIntervalSince(paused)  // ms/batch counts training only
            }
        }
        return epochBatches > 0 ? epochLoss / Double(epochBatches) : .nan
    }

    /// Most rows the output layer scores in one product during evaluation: the default
    /// training batch (20 x 35).
    static let outputRowsPerProduct = 700

    /// Mean loss per token over `data` (the example's `evaluate`: each chunk's loss weighted by
    /// its length, divided by the number of predicted positions). `progress` gets the chunks
    /// done and the total after each chunk.
    public static func evaluate(_ model: LanguageModel, _ data: BatchedStream, bptt: Int,
                                progress: ((_ done: Int, _ total: Int) -> Void)? = nil) -> Double {
        model.module.eval()
        defer { model.module.train() }
        return withNoGrad {
            // BLAS packs the [ntoken, d] output weight again for every product, so the decoder
            // scores several chunks' rows in one product (a chunk larger than that alone), up
            // to a training batch's worth: its scores buffer is then no larger than training's.
            var state = model.initialState(batch: data.batchSize)
            var total = 0.0
            var features: [Tensor] = [], targets: [Int32] = []
            func scorePending() {
                guard !features.isEmpty else { return }
                let loss = model.outputLoss(Tensor.concat(features, dim: 0), targets: targets)
                total += Double(targets.count) * Double(loss.item)
                features.removeAll(); targets.removeAll()
            }
            let starts = Array(data.chunkStarts(bptt: bptt))
            for (n, i) in starts.enumerated() {
                let (input, chunkTargets) = data.chunk(at: i, bptt: bptt)
                if targets.count + chunkTargets.count > outputRowsPerProduct { scorePending() }
                let (h, next) = model.features(input, state)
                state = next
                features.append(h)
                targets += chunkTargets
                progress?(n + 1, starts.count)
            }
            scorePending()
            return total / Double(max((data.rows - 1) * data.batchSize, 1))
        }
    }

    /// Log-probability (natural log) of each line of `stream` (ids with `<eos>` ending each
    /// line), computed with batch size 1 and the state carried across lines.
    public static func sentenceLogProbabilities(_ model: LanguageModel, _ stream: [Int32], eos: Int32, bptt: Int) -> [(tokens: Int, logProb: Double)] {
        model.module.eval()
        defer { model.module.train() }
        return withNoGrad {
            var result: [(Int, Double)] = []
            var current = 0.0, count = 0
            var state = model.initialState(batch: 1)
            var i = 0
            while i < stream.count - 1 {
                let len = min(bptt, stream.count - 1 - i)
                let input = IndexTensor(shape: [len, 1], values: Array(stream[i..<(i + len)]))
                let (logits, next) = model.logits(input, state)
                state = next
                let lp = logits.logSoftmax()
                for t in 0..<len {
                    let target = stream[i + t + 1]
                    current += Double(lp.data[t * lp.shape[1] + Int(target)])
                    count += 1
                    if target == eos { result.append((count, current)); current = 0; count = 0 }
                }
                i += len
            }
            return result
        }
    }
}
