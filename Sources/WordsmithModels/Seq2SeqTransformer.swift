import Foundation
import WordsmithEngine
import WordsmithNN

/// Sizes of the encoder-decoder Transformer.
public struct Seq2SeqConfig: Codable, Equatable, Sendable {
    public var sourceVocab: Int
    public var targetVocab: Int
    public var dModel: Int
    public var heads: Int
    public var encoderLayers: Int
    public var decoderLayers: Int
    public var feedForward: Int
    public var dropout: Float
    public var activation: String
    public var normFirst: Bool
    /// Token id of padding (masked out of attention and of the loss).
    public var pad: Int32
    /// The output projection shares its weight with the target embedding (`generator.weight`
    /// is `tgt_emb.weight`), as in "Attention Is All You Need".
    public var tiedTargetEmbedding: Bool

    public init(sourceVocab: Int, targetVocab: Int, dModel: Int = 512, heads: Int = 8, encoderLayers: Int = 6,
                decoderLayers: Int = 6, feedForward: Int = 2048, dropout: Float = 0.1, activation: String = "relu",
                normFirst: Bool = false, pad: Int32 = 0, tiedTargetEmbedding: Bool = false) {
        self.sourceVocab = sourceVocab
        self.targetVocab = targetVocab
        self.dModel = dModel
        self.heads = heads
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.feedForward = feedForward
        self.dropout = dropout
        self.activation = activation
        self.normFirst = normFirst
        self.pad = pad
        self.tiedTargetEmbedding = tiedTargetEmbedding
    }

    /// What is wrong with these sizes, in words (empty when they are usable).
    public var problems: [String] {
        var p: [String] = []
        if dModel < 1 || heads < 1 || feedForward < 1 { p.append("--d-model, --nhead and --ff must be positive") }
        else if dModel % heads != 0 { p.append("--d-model \(dModel) must be divisible by --nhead \(heads)") }
        if encoderLayers < 1 || decoderLayers < 1 { p.append("--layers must be at least 1") }
        if !(0..<1).contains(dropout) { p.append("--dropout must be in [0, 1)") }
        if sourceVocab < 1 || targetVocab < 1 { p.append("empty vocabulary") }
        return p
    }
}

/// The `nn.Transformer` wrapper of the Annotated Transformer and PyTorch's translation
/// tutorial: the encoder reads the source, the decoder attends to itself with a causal mask
/// and to the encoder's output (memory), and `generator` gives each next word's logits.
public final class Seq2SeqTransformer: Module {
    public let config: Seq2SeqConfig
    @Key("src_emb") public var sourceEmbedding: Embedding
    @Key("tgt_emb") public var targetEmbedding: Embedding
    @Key("positional_encoding") public var positionalEncoding: PositionalEncoding
    public let transformer: EncoderDecoder
    public let generator: Linear

    /// nn.Transformer's two stacks, under the keys `encoder` and `decoder`.
    public final class EncoderDecoder: Module {
        public let encoder: TransformerEncoder
        public let decoder: TransformerDecoder
        init(_ c: Seq2SeqConfig, generator: Generator) {
            let layer = TransformerLayerConfig(dModel: c.dModel, heads: c.heads, feedForward: c.feedForward,
                                               dropout: c.dropout, activation: c.activation == "gelu" ? .gelu : .relu,
                                               normFirst: c.normFirst)
            encoder = TransformerEncoder(layer, layers: c.encoderLayers, generator: generator)
            decoder = TransformerDecoder(layer, layers: c.decoderLayers, generator: generator)
        }
    }

    /// Every matrix starts Xavier-uniform, as in PyTorch's translation tutorial.
    public init(_ config: Seq2SeqConfig, generator rng: Generator) {
        self.config = config
        transformer = EncoderDecoder(config, generator: rng)
        let target = Embedding(config.targetVocab, config.dModel, generator: rng)
        generator = config.tiedTargetEmbedding
            ? Linear(weight: target.weight, bias: Tensor(zeros: [config.targetVocab], requiresGrad: true))
            : Linear(config.dModel, config.targetVocab, generator: rng)
        super.init()
        sourceEmbedding = Embedding(config.sourceVocab, config.dModel, generator: rng)
        targetEmbedding = target
        positionalEncoding = PositionalEncoding(dim: config.dModel, dropout: config.dropout, generator: rng)
        for p in parameters() where p.rank == 2 {
            let bound = (6 / Float(p.shape[0] + p.shape[1])).squareRoot()
            p.assign(Tensor.uniform(p.shape, low: -bound, high: bound, generator: rng))
        }
    }

    func embed(_ table: Embedding, _ tokens: IndexTensor) -> Tensor {
        positionalEncoding(table(tokens) * Float(config.dModel).squareRoot())
    }

    /// [len, B] ids -> key padding mask [B * len], true at padding.
    public func paddingMask(_ tokens: IndexTensor) -> [Bool] {
        let len = tokens.shape[0], b = tokens.shape[1]
        var mask = [Bool](repeating: false, count: b * len)
        for t in 0..<len { for j in 0..<b { mask[j * len + t] = tokens.values[t * b + j] == config.pad } }
        return mask
    }

    /// source [S, B] -> memory [S, B, d].
    public func encode(_ source: IndexTensor) -> Tensor {
        transformer.encoder(embed(sourceEmbedding, source), keyPaddingMask: paddingMask(source))
    }

    /// target input [T, B] attending to `memory` -> the decoder's output [T, B, d], before
    /// the output layer.
    public func decoderFeatures(_ target: IndexTensor, memory: Tensor, sourcePaddingMask: [Bool]) -> Tensor {
        transformer.decoder(embed(targetEmbedding, target), memory: memory,
                            targetMask: MultiHeadAttention.causalMask(target.shape[0]),
                            targetPaddingMask: paddingMask(target), memoryPaddingMask: sourcePaddingMask)
    }

    /// target input [T, B] attending to `memory` -> logits [T, B, targetVocab].
    public func decode(_ target: IndexTensor, memory: Tensor, sourcePaddingMask: [Bool]) -> Tensor {
        generator(decoderFeatures(target, memory: memory, sourcePaddingMask: sourcePaddingMask))
    }

    /// One cache per decoder layer, for `decodeStep` against `memory` [S, N, d].
    public func makeDecoderCaches(memory: Tensor) -> [DecoderLayerCache] {
        transformer.decoder.makeCaches(memory: memory)
    }

    /// Logits [N, targetVocab] for the next word after `tokens` [1, N], which continue the
    /// target prefixes held in `caches` (decoding with a key/value cache). With `needWeights`,
    /// also the last decoder layer's cross-attention over the source, [N, 1, S].
    public func decodeStep(_ tokens: IndexTensor, caches: [DecoderLayerCache], sourcePaddingMask: [Bool]?,
                           needWeights: Bool = false) -> (logits: Tensor, crossAttention: Tensor?) {
        let start = caches.first?.selfAttention.length ?? 0
        let x = positionalEncoding(targetEmbedding(tokens) * Float(config.dModel).squareRoot(), start: start)
        let r = transformer.decoder.step(x, caches: caches, memoryPaddingMask: sourcePaddingMask, needWeights: needWeights)
        let h = r.output.narrow(0, start: tokens.shape[0] - 1, length: 1).reshaped([-1, config.dModel])
        return (generator(h), r.crossWeights.last)
    }

    /// source [S, B], target input [T, B] -> logits [T, B, targetVocab].
    public func callAsFunction(source: IndexTensor, target: IndexTensor) -> Tensor {
        decode(target, memory: encode(source), sourcePaddingMask: paddingMask(source))
    }

    /// Mean cross-entropy (label-smoothed by `labelSmoothing`) of the next words `targets`
    /// ([T·B], time-major like the logits) given source [S, B] and target input [T, B]: the
    /// same value and gradients as `crossEntropy` of `callAsFunction`'s logits reshaped to
    /// [T·B, V] with `pad` ignored. Faster: only the positions whose target is not padding go
    /// through the output layer, fused with the loss (`linearCrossEntropy`).
    public func loss(source: IndexTensor, target: IndexTensor, targets: [Int32], labelSmoothing: Float = 0) -> Tensor {
        let h = decoderFeatures(target, memory: encode(source), sourcePaddingMask: paddingMask(source))
        precondition(h.count / config.dModel == targets.count, "\(targets.count) targets for \(h.shape)")
        let kept = targets.indices.filter { targets[$0] != config.pad }
        // A row gather (index_select; its backward scatters the gradient back).
        let rows = embedding(h.reshaped([-1, config.dModel]), indices: kept.map { Int32($0) }, indexShape: [kept.count])
        return linearCrossEntropy(rows, weight: generator.weight, bias: generator.bias,
                                  targets: kept.map { targets[$0] }, labelSmoothing: labelSmoothing)
    }
}
