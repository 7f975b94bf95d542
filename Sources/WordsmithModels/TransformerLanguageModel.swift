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
        // As in the example (which builds nn.Transformer without passing dropout), the encoder
        // layers use nn.Transformer's default dropout of 0.1 and --dropout applies to the
        // positional encoding; a config built for the fixtures sets both to its own value.
        let layer = TransformerLayerConfig(dModel: config.emsize, heads: config.nhead, feedForward: config.nhid,
                                           dropout: config.layerDropout ?? config.dropout, normFirst: config.normFirst)
        encoder = TransformerEncoder(layer, layers: config.nlayers, generator: generator)
        // nn.Transformer's _reset_parameters: Xavier-uniform for every matrix.
        for (_, p) in encoder.namedParameters() where p.rank == 2 {
            let bound = (6 / Float(p.shape[0] + p.shape[1])).squareRoot()
            p.assign(Tensor.uniform(p.shape, low: -bound, high: bound, generator: generator))
        }
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
        logits(tokens).logSoftmax()
    }

    /// tokens [T, B] -> unnormalized next-word scores [T*B, ntoken].
    public func logits(_ tokens: IndexTensor) -> Tensor {
        decoder(features(tokens))
    }

    /// The encoder's output flattened to [T*B, emsize]: what the decoder reads.
    public func features(_ tokens: IndexTensor) -> Tensor {
        let x = positionalEncoding(inputEmbedding(tokens) * Float(config.emsize).squareRoot())
        let h = encoder(x, mask: MultiHeadAttention.causalMask(tokens.shape[0]))
        return h.reshaped([-1, config.emsize])
    }

    /// One attention cache per encoder layer, for `step`.
    public func makeCaches() -> [AttentionCache] { encoder.layers.map { _ in AttentionCache() } }

    /// Scores for new tokens [L, B] that continue the sequence held in `caches`
    /// (positions start at the cache length): generation with a key/value cache.
    public func step(_ tokens: IndexTensor, caches: [AttentionCache]) -> Tensor {
        let start = caches.first?.length ?? 0
        let x = positionalEncoding(inputEmbedding(tokens) * Float(config.emsize).squareRoot(), start: start)
        return decoder(encoder.step(x, caches: caches).reshaped([-1, config.emsize]))
    }
}
