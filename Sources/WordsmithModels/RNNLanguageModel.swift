import WordsmithEngine
import WordsmithNN

/// The RNN language model of PyTorch's `word_language_model` example (`RNNModel`):
///
///     emb = dropout(encoder(tokens));  out, h = rnn(emb, h);  logits = decoder(dropout(out))
///     log p(next word) = log_softmax(logits)
///
/// Parameter names match the example (`encoder.weight`, `rnn.weight_ih_l0`, `decoder.weight`),
/// so its checkpoints load here and ours load there.
public final class RNNLanguageModel: Module {
    public let config: LanguageModelConfig
    public let encoder: Embedding
    public let drop: Dropout
    public let rnn: RNN
    public let decoder: Linear

    public init(_ config: LanguageModelConfig, generator: Generator) {
        guard let kind = config.recurrentKind else { preconditionFailure("RNNLanguageModel needs an RNN kind, got \(config.kind)") }
        precondition(!config.tied || config.emsize == config.nhid, "--tied needs emsize == nhid")
        self.config = config
        encoder = Embedding(config.ntoken, config.emsize, generator: generator)
        drop = Dropout(config.dropout, generator: generator)
        rnn = RNN(kind, inputSize: config.emsize, hiddenSize: config.nhid, layers: config.nlayers,
                  dropout: config.dropout, generator: generator)
        // The example's init_weights: U(-0.1, 0.1) for embedding and decoder, zero decoder bias.
        encoder.weight.assign(Tensor.uniform(encoder.weight.shape, low: -0.1, high: 0.1, generator: generator))
        if config.tied {
            decoder = Linear(weight: encoder.weight, bias: Tensor(zeros: [config.ntoken], requiresGrad: true))
        } else {
            decoder = Linear(weight: Tensor.uniform([config.ntoken, config.nhid], low: -0.1, high: 0.1,
                                                    generator: generator, requiresGrad: true),
                             bias: Tensor(zeros: [config.ntoken], requiresGrad: true))
        }
    }

    public func initialState(batch: Int) -> RecurrentState { rnn.zeroState(batch: batch) }

    /// tokens [T, B] -> log-probabilities [T*B, ntoken] and the next hidden state.
    public func callAsFunction(_ tokens: IndexTensor, _ state: RecurrentState) -> (logProbs: Tensor, state: RecurrentState) {
        let (logits, next) = logits(tokens, state)
        return (logits.logSoftmax(), next)
    }

    /// tokens [T, B] -> unnormalized next-word scores [T*B, ntoken] and the next hidden state.
    public func logits(_ tokens: IndexTensor, _ state: RecurrentState) -> (Tensor, RecurrentState) {
        let (h, next) = features(tokens, state)
        return (decoder(h), next)
    }

    /// What the decoder reads: dropout(rnn(dropout(encoder(tokens)))), flattened to
    /// [T*B, nhid] (small; the [T*B, ntoken] scores are not).
    public func features(_ tokens: IndexTensor, _ state: RecurrentState) -> (Tensor, RecurrentState) {
        let emb = drop(encoder(tokens))
        let (output, next) = rnn(emb, state)
        return (drop(output).reshaped([-1, config.nhid]), next)
    }
}
