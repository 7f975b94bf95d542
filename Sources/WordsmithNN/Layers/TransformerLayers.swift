import WordsmithEngine

/// Settings shared by encoder and decoder layers (PyTorch defaults: post-norm, ReLU).
public struct TransformerLayerConfig: Sendable {
    public var dModel: Int
    public var heads: Int
    public var feedForward: Int
    public var dropout: Float
    public var activation: FeedForward.Activation
    /// Pre-norm (`x + Sublayer(LayerNorm(x))`) instead of post-norm (`LayerNorm(x + Sublayer(x))`).
    public var normFirst: Bool

    public init(dModel: Int, heads: Int, feedForward: Int, dropout: Float = 0.1,
                activation: FeedForward.Activation = .relu, normFirst: Bool = false) {
        self.dModel = dModel
        self.heads = heads
        self.feedForward = feedForward
        self.dropout = dropout
        self.activation = activation
        self.normFirst = normFirst
    }
}

/// Self-attention then feed-forward, each in a residual connection
/// (PyTorch `nn.TransformerEncoderLayer`).
public final class TransformerEncoderLayer: Module {
    public let normFirst: Bool
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    @Key("self_attn") public var selfAttention: MultiHeadAttention
    @Key("") public var feedForward: FeedForward  // PyTorch keeps linear1/linear2 on the layer

    public init(_ c: TransformerLayerConfig, generator: Generator) {
        normFirst = c.normFirst
        norm1 = LayerNorm(c.dModel)
        norm2 = LayerNorm(c.dModel)
        dropout1 = Dropout(c.dropout, generator: generator)
        dropout2 = Dropout(c.dropout, generator: generator)
        super.init()
        selfAttention = MultiHeadAttention(embedDim: c.dModel, heads: c.heads, dropout: c.dropout, generator: generator)
        feedForward = FeedForward(dim: c.dModel, hidden: c.feedForward, dropout: c.dropout,
                                  activation: c.activation, generator: generator)
    }

    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, keyPaddingMask: [Bool]? = nil) -> Tensor {
        residualBlocks(x) { y in
            selfAttention(query: y, key: y, value: y, attentionMask: mask, keyPaddingMask: keyPaddingMask).output
        }
    }

    /// The same layer on new positions only, attending to cached earlier ones (generation).
    public func step(_ x: Tensor, cache: AttentionCache) -> Tensor {
        residualBlocks(x) { y in selfAttention(incremental: y, cache: cache) }
    }

    /// Post-norm: LayerNorm(x + Sublayer(x)); pre-norm: x + Sublayer(LayerNorm(x)).
    func residualBlocks(_ x: Tensor, attention: (Tensor) -> Tensor) -> Tensor {
        func sa(_ y: Tensor) -> Tensor { dropout1(attention(y)) }
        func ff(_ y: Tensor) -> Tensor { dropout2(feedForward(y)) }
        if normFirst {
            let h = x + sa(norm1(x))
            return h + ff(norm2(h))
        }
        let h = norm1(x + sa(x))
        return norm2(h + ff(h))
    }
}

/// Masked self-attention, attention over the encoder's output (memory), then feed-forward,
/// each in a residual connection (PyTorch `nn.TransformerDecoderLayer`).
public final class TransformerDecoderLayer: Module {
    public let normFirst: Bool
    public let norm1: LayerNorm
    public let norm2: LayerNorm
    public let norm3: LayerNorm
    public let dropout1: Dropout
    public let dropout2: Dropout
    public let dropout3: Dropout
    @Key("self_attn") public var selfAttention: MultiHeadAttention
    @Key("multihead_attn") public var crossAttention: MultiHeadAttention
    @Key("") public var feedForward: FeedForward

    public init(_ c: TransformerLayerConfig, generator: Generator) {
        normFirst = c.normFirst
        norm1 = LayerNorm(c.dModel)
        norm2 = LayerNorm(c.dModel)
        norm3 = LayerNorm(c.dModel)
        dropout1 = Dropout(c.dropout, generator: generator)
        dropout2 = Dropout(c.dropout, generator: generator)
        dropout3 = Dropout(c.dropout, generator: generator)
        super.init()
        selfAttention = MultiHeadAttention(embedDim: c.dModel, heads: c.heads, dropout: c.dropout, generator: generator)
        crossAttention = MultiHeadAttention(embedDim: c.dModel, heads: c.heads, dropout: c.dropout, generator: generator)
        feedForward = FeedForward(dim: c.dModel, hidden: c.feedForward, dropout: c.dropout,
                                  activation: c.activation, generator: generator)
    }

    public func callAsFunction(_ x: Tensor, memory: Tensor, targetMask: Tensor? = nil,
                               targetPaddingMask: [Bool]? = nil, memoryPaddingMask: [Bool]? = nil) -> Tensor {
        func sa(_ y: Tensor) -> Tensor {
            dropout1(selfAttention(query: y, key: y, value: y, attentionMask: targetMask,
                                   keyPaddingMask: targetPaddingMask).output)
        }
        func ca(_ y: Tensor) -> Tensor {
            dropout2(crossAttention(query: y, key: memory, value: memory, keyPaddingMask: memoryPaddingMask).output)
        }
        func ff(_ y: Tensor) -> Tensor { dropout3(feedForward(y)) }
        if normFirst {
            var h = x + sa(norm1(x))
            h = h + ca(norm2(h))
            return h + ff(norm3(h))
        }
        var h = norm1(x + sa(x))
        h = norm2(h + ca(h))
        return norm3(h + ff(h))
    }
}

/// A stack of encoder layers with an optional final LayerNorm (`nn.TransformerEncoder`).
public final class TransformerEncoder: Module {
    public let layers: [TransformerEncoderLayer]
    public let norm: LayerNorm?

    public init(_ c: TransformerLayerConfig, layers count: Int, finalNorm: Bool = true, generator: Generator) {
        layers = (0..<count).map { _ in TransformerEncoderLayer(c, generator: generator) }
        norm = finalNorm ? LayerNorm(c.dModel) : nil
    }

    public func callAsFunction(_ x: Tensor, mask: Tensor? = nil, keyPaddingMask: [Bool]? = nil) -> Tensor {
        var h = x
        for layer in layers { h = layer(h, mask: mask, keyPaddingMask: keyPaddingMask) }
        return norm.map { $0(h) } ?? h
    }

    /// Runs new positions through every layer with one cache per layer (generation).
    public func step(_ x: Tensor, caches: [AttentionCache]) -> Tensor {
        precondition(caches.count == layers.count, "one attention cache per layer")
        var h = x
        for (layer, cache) in zip(layers, caches) { h = layer.step(h, cache: cache) }
        return norm.map { $0(h) } ?? h
    }
}

/// A stack of decoder layers with an optional final LayerNorm (`nn.TransformerDecoder`).
public final class TransformerDecoder: Module {
    public let layers: [TransformerDecoderLayer]
    public let norm: LayerNorm?

    public init(_ c: TransformerLayerConfig, layers count: Int, finalNorm: Bool = true, generator: Generator) {
        layers = (0..<count).map { _ in TransformerDecoderLayer(c, generator: generator) }
        norm = finalNorm ? LayerNorm(c.dModel) : nil
    }

    public func callAsFunction(_ x: Tensor, memory: Tensor, targetMask: Tensor? = nil,
                               targetPaddingMask: [Bool]? = nil, memoryPaddingMask: [Bool]? = nil) -> Tensor {
        var h = x
        for layer in layers {
            h = layer(h, memory: memory, targetMask: targetMask, targetPaddingMask: targetPaddingMask,
                      memoryPaddingMask: memoryPaddingMask)
        }
        return norm.map { $0(h) } ?? h
    }
}
