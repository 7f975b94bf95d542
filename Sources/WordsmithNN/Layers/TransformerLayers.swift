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
        residualBlocks(x, selfAttention: { y in
            selfAttention(query: y, key: y, value: y, attentionMask: targetMask, keyPaddingMask: targetPaddingMask).output
        }, crossAttention: { y in
            crossAttention(query: y, key: memory, value: memory, keyPaddingMask: memoryPaddingMask).output
        })
    }

    /// The layer on new target positions only (decoding): self-attention over the positions
    /// cached so far, cross-attention over the memory projected once. Also returns the
    /// cross-attention weights averaged over heads, [N, L, S], when asked.
    public func step(_ x: Tensor, cache: DecoderLayerCache, memoryPaddingMask: [Bool]? = nil,
                     needWeights: Bool = false) -> (output: Tensor, crossWeights: Tensor?) {
        var weights: Tensor?
        let out = residualBlocks(x, selfAttention: { y in
            selfAttention(incremental: y, cache: cache.selfAttention)
        }, crossAttention: { y in
            let r = crossAttention(query: y, memoryKeys: cache.memoryKeys, memoryValues: cache.memoryValues,
                                   keyPaddingMask: memoryPaddingMask, needWeights: needWeights)
            weights = r.weights
            return r.output
        })
        return (out, weights)
    }

    /// Post-norm: LayerNorm(x + Sublayer(x)) for each sublayer; pre-norm: x + Sublayer(LayerNorm(x)).
    func residualBlocks(_ x: Tensor, selfAttention: (Tensor) -> Tensor, crossAttention: (Tensor) -> Tensor) -> Tensor {
        func sa(_ y: Tensor) -> Tensor { dropout1(selfAttention(y)) }
        func ca(_ y: Tensor) -> Tensor { dropout2(crossAttention(y)) }
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

/// What one decoder layer keeps between decoding steps: the keys and values of the target
/// positions so far, and the encoder memory projected for cross-attention.
public final class DecoderLayerCache {
    public let selfAttention = AttentionCache()
    public private(set) var memoryKeys: Tensor
    public private(set) var memoryValues: Tensor

    public init(memoryKeys: Tensor, memoryValues: Tensor) {
        self.memoryKeys = memoryKeys
        self.memoryValues = memoryValues
    }

    /// Keeps batch entries `indices`, in that order (beam search reordering hypotheses).
    public func select(batch indices: [Int]) {
        selfAttention.select(batch: indices)
        memoryKeys = AttentionCache.select(memoryKeys, batch: indices)
        memoryValues = AttentionCache.select(memoryValues, batch: indices)
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

    /// One cache per layer for decoding against `memory` [S, N, E].
    public func makeCaches(memory: Tensor) -> [DecoderLayerCache] {
        layers.map { layer in
            let (k, v) = layer.crossAttention.projectMemory(memory)
            return DecoderLayerCache(memoryKeys: k, memoryValues: v)
        }
    }

    /// New target positions [L, N, E] through every layer with its cache. `crossWeights`
    /// holds each layer's cross-attention averaged over heads ([N, L, S]) when asked.
    public func step(_ x: Tensor, caches: [DecoderLayerCache], memoryPaddingMask: [Bool]? = nil,
                     needWeights: Bool = false) -> (output: Tensor, crossWeights: [Tensor]) {
        precondition(caches.count == layers.count, "one decoder cache per layer")
        var h = x
        var weights: [Tensor] = []
        for (layer, cache) in zip(layers, caches) {
            let r = layer.step(h, cache: cache, memoryPaddingMask: memoryPaddingMask, needWeights: needWeights)
            h = r.output
            if let w = r.crossWeights { weights.append(w) }
        }
        return (norm.map { $0(h) } ?? h, weights)
    }
}
