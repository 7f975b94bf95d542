import WordsmithNN

/// Sizes of a word-level language model, with the names of the example's flags.
public struct LanguageModelConfig: Codable, Equatable, Sendable {
    /// "LSTM", "GRU", "RNN_TANH", "RNN_RELU" or "Transformer".
    public var kind: String
    public var ntoken: Int
    public var emsize: Int
    public var nhid: Int
    public var nlayers: Int
    public var nhead: Int
    public var dropout: Float
    public var tied: Bool
    /// Pre-norm Transformer layers.
    public var normFirst: Bool

    public init(kind: String, ntoken: Int, emsize: Int = 200, nhid: Int = 200, nlayers: Int = 2, nhead: Int = 2,
                dropout: Float = 0.2, tied: Bool = false, normFirst: Bool = false) {
        self.kind = kind
        self.ntoken = ntoken
        self.emsize = emsize
        self.nhid = nhid
        self.nlayers = nlayers
        self.nhead = nhead
        self.dropout = dropout
        self.tied = tied
        self.normFirst = normFirst
    }

    public var recurrentKind: RecurrentKind? { RecurrentKind(rawValue: kind) }
    public var isTransformer: Bool { kind == "Transformer" }
}
