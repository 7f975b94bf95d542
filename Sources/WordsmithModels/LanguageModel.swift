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
    /// (the training and evaluation path: the decoder is fused into the loss).
    public func loss(_ tokens: IndexTensor, targets: [Int32], _ state: RecurrentState?) -> (Tensor, RecurrentState?) {
        switch self {
        case .recurrent(let m):
            let (loss, next) = m.loss(tokens, targets: targets, state ?? m.initialState(batch: tokens.shape[1]))
            return (loss, next)
        case .transformer(let m):
            return (m.loss(tokens, targets: targets), nil)
        }
    }
}
