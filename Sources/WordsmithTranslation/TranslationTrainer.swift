import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// Training of the encoder-decoder Transformer as in "Attention Is All You Need":
/// label-smoothed cross-entropy over the target words (padding ignored), Adam(W) with
/// β = (0.9, 0.98), ε = 1e-9, the warmup-then-inverse-square-root learning rate, and
/// gradient clipping.
public final class TranslationTrainer {
    public let model: Seq2SeqTransformer
    public let optimizer: Adam
    public let schedule: LearningRateSchedule
    public let parameters: [Tensor]
    public var clip: Float
    public var labelSmoothing: Float
    /// Optimizer steps taken so far (the schedule's step number).
    public private(set) var step = 0

    public enum TrainingError: Error, CustomStringConvertible {
        case nonFiniteLoss(step: Int, loss: Float)
        public var description: String {
            switch self {
            case .nonFiniteLoss(let step, let loss):
                return "the loss became \(loss) at step \(step); lower the learning rate (--lr-scale) or raise --warmup. The last good checkpoint is kept."
            }
        }
    }

    public init(model: Seq2SeqTransformer, schedule: LearningRateSchedule, weightDecay: Float = 0,
                clip: Float = 1, labelSmoothing: Float = 0.1) {
        self.model = model
        self.schedule = schedule
        parameters = model.parameters()
        optimizer = Adam(parameters: parameters, learningRate: schedule.rate(at: 1), betas: (0.9, 0.98), eps: 1e-9,
                         weightDecay: weightDecay, decoupledWeightDecay: true)
        self.clip = clip
        self.labelSmoothing = labelSmoothing
    }

    /// Adam's state (moment estimates, step count), to save with the model.
    public func optimizerState() -> OptimizerState {
        optimizer.state(names: model.namedParameters())
    }

    /// Continues a saved run: the schedule from `step`, Adam from `optimizerState` (or afresh
    /// when nil).
    public func resume(atStep step: Int, optimizerState: OptimizerState?) throws {
        precondition(step >= 0, "a step count is not negative")
        if let optimizerState { try optimizer.restore(optimizerState, names: model.namedParameters()) }
        self.step = step
    }

    /// The loss of a batch: logits [T, B, V] reshaped to [T·B, V] against the shifted targets,
    /// padding ignored (computed by the model's fused output layer and loss).
    public func loss(_ batch: TranslationBatch, labelSmoothing: Float) -> Tensor {
        model.loss(source: batch.source, target: batch.targetInput, targets: batch.targetOutput,
                   labelSmoothing: labelSmoothing)
    }

    /// One optimizer step on `batch`; returns its (label-smoothed) loss per target token.
    @discardableResult
    public func trainStep(_ batch: TranslationBatch) throws -> Float {
        model.train()
        step += 1
        optimizer.learningRate = schedule.rate(at: step)
        model.zeroGrad()
        let loss = loss(batch, labelSmoothing: labelSmoothing)
        guard loss.item.isFinite else { throw TrainingError.nonFiniteLoss(step: step, loss: loss.item) }
        loss.backward()
        optimizer.step(gradientScale: clip > 0 ? clipScale(norm: gradNorm(parameters), maxNorm: clip) : 1)
        return loss.item
    }

    /// Mean cross-entropy per target token (no label smoothing) over `batches`; its exp is
    /// the perplexity.
    public func evaluate(_ batches: [TranslationBatch]) -> Double {
        model.eval()
        return withNoGrad {
            var total = 0.0, tokens = 0
            for b in batches {
                total += Double(loss(b, labelSmoothing: 0).item) * Double(b.targetTokens)
                tokens += b.targetTokens
            }
            return tokens > 0 ? total / Double(tokens) : .nan
        }
    }

    /// Greedy translations of `pairs` (batched by length), detokenized, in their order, and
    /// their corpus BLEU against the pairs' target text.
    public static func bleu(_ translator: Translator, pairs: [SentencePair], batchSize: Int = 64,
                            detokenize: ([Int32]) -> String, tokenization: BLEU.Tokenization) -> (bleu: BLEU, hypotheses: [String]) {
        var hypotheses = [String](repeating: "", count: pairs.count)
        for batch in TranslationBatch.batches(pairs, batchSize: batchSize) {
            let out = translator.greedy(batch.indices.map { pairs[$0].source })
            for (i, h) in zip(batch.indices, out) { hypotheses[i] = detokenize(h.tokens) }
        }
        return (BLEU(hypotheses: hypotheses, references: pairs.map(\.targetText), tokenization: tokenization), hypotheses)
    }
}
