import WordsmithEngine
import WordsmithNN

/// Either kind of word-level language model, behind one interface for training,
/// evaluation and generation.
public enum LanguageModel {
    case recurrent(RNNLanguageModel)
    case transformer(TransformerLanguageModel)

    public init(_ config: LanguageModelConfig, generator: Generator) {
        self = config.isTransformer
            ? .transformer(TransformerLanguageModel(config, generator: generator))
            : .recurrent(RNNLanguageModel(config, generator: generator))
    }

    public var module: Module {
        switch self {
        case .recurrent(let m): m
        case .transformer(let m): m
        }
    }

    public var config: LanguageModelConfig {
        switch self {
        case .recurrent(let m): m.config
        case .transformer(let m): m.config
        }
    }

    /// The input word embedding [ntoken, emsize].
    public var embeddingWeight: Tensor {
        switch self {
        case .recurrent(let m): m.encoder.weight
        case .transformer(let m): m.inputEmbedding.weight
        }
    }

    /// Hidden state carried between chunks: the RNN's state, nil for the Transformer (whose
    /// chunks are independent, as in the example).
    public func initialState(batch: Int) -> RecurrentState? {
        if case .recurrent(let m) = self { return m.initialState(batch: batch) }
        return nil
    }

    /// tokens [T, B] -> scores [T*B, ntoken] and the next state.
    public func logits(_ tokens: IndexTensor, _ state: RecurrentState?) -> (Tensor, RecurrentState?) {
        switch self {
        case .recurrent(let m):
            let (logits, next) = m.logits(tokens, state ?? m.initialState(batch: tokens.shape[1]))
            return (logits, next)
        case .transformer(let m):
            return (m.logits(tokens), nil)
        }
    }

    /// tokens [T, B] and the next words [T*B] -> mean cross-entropy and the next state
    /// (the training path: the decoder is fused into the loss).
    public func loss(_ tokens: IndexTensor, targets: [Int32], _ state: RecurrentState?) -> (Tensor, RecurrentState?) {
        let (h, next) = features(tokens, state)
        return (outputLoss(h, targets: targets), next)
    }

    /// tokens [T, B] -> what the decoder reads, [T*B, nhid] (emsize for the Transformer),
    /// and the next state.
    public func features(_ tokens: IndexTensor, _ state: RecurrentState?) -> (Tensor, RecurrentState?) {
        switch self {
        case .recurrent(let m):
            let (h, next) = m.features(tokens, state ?? m.initialState(batch: tokens.shape[1]))
            return (h, next)
        case .transformer(let m):
            return (m.features(tokens), nil)
        }
    }

    /// Mean cross-entropy of `targets` given decoder inputs `features` [N, d]:
    /// `cross_entropy(decoder(features), targets)`, fused.
    public func outputLoss(_ features: Tensor, targets: [Int32]) -> Tensor {
        let decoder = switch self {
        case .recurrent(let m): m.decoder
        case .transformer(let m): m.decoder
        }
        return linearCrossEntropy(features, weight: decoder.weight, bias: decoder.bias, targets: targets)
    }
}
