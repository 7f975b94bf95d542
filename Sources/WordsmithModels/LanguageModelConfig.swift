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
    /// Dropout inside the Transformer layers; nil means `dropout`. The example's model
    /// leaves it at nn.Transformer's default 0.1 whatever --dropout says.
    public var layerDropout: Float?

    public init(kind: String, ntoken: Int, emsize: Int = 200, nhid: Int = 200, nlayers: Int = 2, nhead: Int = 2,
                dropout: Float = 0.2, tied: Bool = false, normFirst: Bool = false, layerDropout: Float? = nil) {
        self.kind = kind
        self.ntoken = ntoken
        self.emsize = emsize
        self.nhid = nhid
        self.nlayers = nlayers
        self.nhead = nhead
        self.dropout = dropout
        self.tied = tied
        self.normFirst = normFirst
        self.layerDropout = layerDropout
    }

    /// Problems with these sizes, as messages that name the fix (empty when valid).
    public var problems: [String] {
        var p: [String] = []
        if ntoken < 1 { p.append("the vocabulary is empty") }
        if emsize < 1 || nhid < 1 || nlayers < 1 { p.append("--emsize, --nhid and --nlayers must be at least 1") }
        if !(0..<1).contains(dropout) { p.append("--dropout must be in [0, 1), got \(dropout)") }
        if recurrentKind == nil && !isTransformer {
            p.append("unknown --model '\(kind)'; choose LSTM, GRU, RNN_TANH, RNN_RELU or Transformer")
        }
        if tied && emsize != nhid && !isTransformer {
            p.append("--tied needs --emsize equal to --nhid (got \(emsize) and \(nhid)); set them equal or drop --tied")
        }
        if isTransformer && (nhead < 1 || emsize % nhead != 0) {
            p.append("--emsize \(emsize) must be divisible by --nhead \(nhead); change one of them")
        }
        return p
    }

    public var recurrentKind: RecurrentKind? { RecurrentKind(rawValue: kind) }
    public var isTransformer: Bool { kind == "Transformer" }
}
