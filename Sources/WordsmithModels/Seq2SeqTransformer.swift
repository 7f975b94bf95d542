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

    public init(sourceVocab: Int, targetVocab: Int, dModel: Int = 512, heads: Int = 8, encoderLayers: Int = 6,
                decoderLayers: Int = 6, feedForward: Int = 2048, dropout: Float = 0.1, activation: String = "relu",
                normFirst: Bool = false, pad: Int32 = 0) {
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

    public init(_ config: Seq2SeqConfig, generator rng: Generator) {
        self.config = config
        transformer = EncoderDecoder(config, generator: rng)
        generator = Linear(config.dModel, config.targetVocab, generator: rng)
        super.init()
        sourceEmbedding = Embedding(config.sourceVocab, config.dModel, generator: rng)
        targetEmbedding = Embedding(config.targetVocab, config.dModel, generator: rng)
        positionalEncoding = PositionalEncoding(dim: config.dModel, dropout: config.dropout, generator: rng)
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

    /// target input [T, B] attending to `memory` -> logits [T, B, targetVocab].
    public func decode(_ target: IndexTensor, memory: Tensor, sourcePaddingMask: [Bool]) -> Tensor {
        let h = transformer.decoder(embed(targetEmbedding, target), memory: memory,
                                    targetMask: MultiHeadAttention.causalMask(target.shape[0]),
                                    targetPaddingMask: paddingMask(target), memoryPaddingMask: sourcePaddingMask)
        return generator(h)
    }

    /// source [S, B], target input [T, B] -> logits [T, B, targetVocab].
    public func callAsFunction(source: IndexTensor, target: IndexTensor) -> Tensor {
        decode(target, memory: encode(source), sourcePaddingMask: paddingMask(source))
    }
}
