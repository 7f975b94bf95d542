import Foundation
import WordsmithEngine
import WordsmithNN

/// The Transformer language model of PyTorch's `word_language_model` example
/// (`TransformerModel`): a causal encoder stack over embedded, position-encoded tokens.
///
///     x = PositionalEncoding(input_emb(tokens) * √d)
///     h = encoder(x, causal mask)           (nlayers layers and a final LayerNorm)
///     log p(next word) = log_softmax(decoder(h))
public final class TransformerLanguageModel: Module {
    public let config: LanguageModelConfig
    @Key("input_emb") public var inputEmbedding: Embedding
    @Key("pos_encoder") public var positionalEncoding: PositionalEncoding
    public let encoder: TransformerEncoder
    public let decoder: Linear

    public init(_ config: LanguageModelConfig, generator: Generator) {
        precondition(config.nhead > 0 && config.emsize % config.nhead == 0,
                     "emsize \(config.emsize) must be divisible by nhead \(config.nhead)")
        self.config = config
        let layer = TransformerLayerConfig(dModel: config.emsize, heads: config.nhead, feedForward: config.nhid,
                                           dropout: config.dropout, normFirst: config.normFirst)
        encoder = TransformerEncoder(layer, layers: config.nlayers, generator: generator)
        decoder = Linear(weight: Tensor.uniform([config.ntoken, config.emsize], low: -0.1, high: 0.1,
                                                generator: generator, requiresGrad: true),
                         bias: Tensor(zeros: [config.ntoken], requiresGrad: true))
        super.init()
        inputEmbedding = Embedding(config.ntoken, config.emsize, generator: generator)
        inputEmbedding.weight.assign(Tensor.uniform(inputEmbedding.weight.shape, low: -0.1, high: 0.1, generator: generator))
        positionalEncoding = PositionalEncoding(dim: config.emsize, dropout: config.dropout, generator: generator)
    }

    /// tokens [T, B] -> log-probabilities [T*B, ntoken]; position t sees tokens 0...t only.
    public func callAsFunction(_ tokens: IndexTensor) -> Tensor {
        let x = positionalEncoding(inputEmbedding(tokens) * Float(config.emsize).squareRoot())
        let h = encoder(x, mask: MultiHeadAttention.causalMask(tokens.shape[0]))
        return decoder(h).reshaped([-1, config.ntoken]).logSoftmax()
    }
}
