import Foundation
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// A language-model checkpoint: one safetensors file whose tensors carry PyTorch
/// `state_dict` names and whose metadata holds what is needed to rebuild the model:
///
/// | metadata key            | value                                             |
/// |-------------------------|---------------------------------------------------|
/// | `wordsmith.config`      | the model config as JSON (`LanguageModelConfig`)  |
/// | `wordsmith.vocabulary`  | the vocabulary as a JSON array of tokens, by id   |
/// | `wordsmith.tokenizer`   | `word` or `char`                                  |
/// | `wordsmith.training`    | where training stands, as JSON (`TrainingState`); |
/// |                         | written by `wordsmith train`, read by `--resume`  |
///
/// A file without this metadata (a PyTorch `state_dict` saved with `safetensors`) can still
/// be loaded by giving the vocabulary (from the corpus) and the model kind.
public struct Checkpoint {
    public var model: LanguageModel
    public var vocabulary: Vocabulary
    public var tokenizer: Tokenizer
    /// Set when the file was saved by a training run, so that the run can be resumed.
    public var training: TrainingState?

    /// Where a training run stood when it saved these weights (its best epoch so far).
    public struct TrainingState: Codable, Equatable, Sendable {
        /// Epochs completed, counting from the run's start.
        public var epoch: Int
        /// The learning rate for the next epoch.
        public var learningRate: Float
        /// The validation loss of these weights (the best so far): later epochs anneal the
        /// learning rate unless they beat it.
        public var validLoss: Double
        /// The optimizer (`sgd`, `adamw`); its state, when it has one, is in the file
        /// `optimizerStateURL(for:)` names.
        public var optimizer: String?
        /// The random generator's position (`Generator.positionText`), so that
        /// a resumed run draws the dropout masks the uninterrupted run would have drawn.
        public var generator: [String]?

        public init(epoch: Int, learningRate: Float, validLoss: Double, optimizer: String? = nil,
                    generator: Generator? = nil) {
            self.epoch = epoch
            self.learningRate = learningRate
            self.validLoss = validLoss
            self.optimizer = optimizer
            self.generator = generator?.positionText
        }

        /// Moves `generator` to the saved position; false when none was saved or it is malformed.
        public func restore(_ generator: Generator) -> Bool {
            self.generator.map(generator.move(to:)) ?? false
        }
    }

    /// Where a training run keeps its optimizer's state beside the checkpoint at `url`
    /// (`lstm.safetensors` -> `lstm.optimizer.safetensors`): a separate file, so that the
    /// checkpoint stays a plain state_dict that PyTorch loads.
    public static func optimizerStateURL(for url: URL) -> URL {
        url.deletingPathExtension().appendingPathExtension("optimizer.safetensors")
    }

    public init(model: LanguageModel, vocabulary: Vocabulary, tokenizer: Tokenizer, training: TrainingState? = nil) {
        self.model = model
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.training = training
    }

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case notACheckpoint(String, String)
        case needsVocabulary(String)
        case vocabularyMismatch(String, checkpoint: Int, corpus: Int)
        case cannotInferModel(String, String)

        public var description: String {
            switch self {
            case .missing(let p): return "checkpoint '\(p)' does not exist; train one with `wordsmith train --save \(p)`"
            case .notACheckpoint(let p, let why): return "'\(p)' is not a valid checkpoint: \(why)"
            case .needsVocabulary(let p): return "'\(p)' has no vocabulary in its metadata (a plain PyTorch state_dict?); pass --data with the corpus it was trained on"
            case .vocabularyMismatch(let p, let a, let b): return "checkpoint '\(p)' was trained with a vocabulary of \(a) tokens but this corpus has \(b); use the corpus it was trained on"
            case .cannotInferModel(let p, let why): return "cannot tell the model in '\(p)': \(why)"
            }
        }
    }

    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let config = String(decoding: try encoder.encode(model.config), as: UTF8.self)
        let vocab = String(decoding: try JSONEncoder().encode(vocabulary.words), as: UTF8.self)
        var metadata = [
            "format": "pt",
            "wordsmith.config": config,
            "wordsmith.vocabulary": vocab,
            "wordsmith.tokenizer": tokenizer.rawValue,
        ]
        if let training { metadata["wordsmith.training"] = String(decoding: try encoder.encode(training), as: UTF8.self) }
        try model.module.safetensors(metadata: metadata).write(to: url)
    }

    /// Loads a checkpoint. `corpusVocabulary` is used when the file has none (and must agree
    /// in size when it has one); `kind` names the model when it cannot be read from metadata;
    /// `generator` draws the model's dropout masks (when it trains on).
    public static func load(from url: URL, corpusVocabulary: Vocabulary? = nil, kind: String? = nil, nhead: Int = 2,
                            generator: Generator = Generator(seed: 0)) throws -> Checkpoint {
        try load(file: read(url), path: url.path, corpusVocabulary: corpusVocabulary, kind: kind, nhead: nhead,
                 generator: generator)
    }

    /// Reads and validates the safetensors file of a checkpoint.
    public static func read(_ url: URL) throws -> SafeTensors {
        guard FileManager.default.fileExists(atPath: url.path) else { throw LoadError.missing(url.path) }
        do { return try SafeTensors(contentsOf: url) } catch { throw LoadError.notACheckpoint(url.path, "\(error)") }
    }

    /// The tokenizer recorded in a checkpoint file (word when absent).
    public static func tokenizer(of file: SafeTensors) -> Tokenizer {
        file.metadata["wordsmith.tokenizer"].flatMap(Tokenizer.init(rawValue:)) ?? .word
    }

    /// Builds the model from a file already read (`path` names it in errors).
    public static func load(file: SafeTensors, path: String, corpusVocabulary: Vocabulary? = nil, kind: String? = nil,
                            nhead: Int = 2, generator: Generator = Generator(seed: 0)) throws -> Checkpoint {
        var vocabulary: Vocabulary
        if let json = file.metadata["wordsmith.vocabulary"] {
            guard let words = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
                throw LoadError.notACheckpoint(path, "its vocabulary metadata is not a JSON list of strings")
            }
            vocabulary = Vocabulary(words: words)
            if let corpus = corpusVocabulary, corpus.count != vocabulary.count {
                throw LoadError.vocabularyMismatch(path, checkpoint: vocabulary.count, corpus: corpus.count)
            }
        } else if let corpus = corpusVocabulary {
            vocabulary = corpus
        } else {
            throw LoadError.needsVocabulary(path)
        }
        let config: LanguageModelConfig
        if let json = file.metadata["wordsmith.config"] {
            guard let c = try? JSONDecoder().decode(LanguageModelConfig.self, from: Data(json.utf8)) else {
                throw LoadError.notACheckpoint(path, "its config metadata is not a valid model config")
            }
            config = c
        } else {
            config = try inferConfig(file, path: path, kind: kind, nhead: nhead)
        }
        if let problem = config.problems.first { throw LoadError.notACheckpoint(path, problem) }
        if config.ntoken != vocabulary.count {
            throw LoadError.vocabularyMismatch(path, checkpoint: config.ntoken, corpus: vocabulary.count)
        }
        var training: TrainingState?
        if let json = file.metadata["wordsmith.training"] {
            guard let t = try? JSONDecoder().decode(TrainingState.self, from: Data(json.utf8)) else {
                throw LoadError.notACheckpoint(path, "its training metadata is not a valid training state")
            }
            training = t
        }
        let model = LanguageModel(config, generator: generator)
        var values: [String: Tensor] = [:]
        for name in file.names where name != "pos_encoder.pe" {  // the example's constant buffer
            values[name] = try file.tensor(name)
        }
        do { try model.module.loadStateDict(values) } catch { throw LoadError.notACheckpoint(path, "\(error)") }
        return Checkpoint(model: model, vocabulary: vocabulary, tokenizer: tokenizer(of: file), training: training)
    }

    /// Reads sizes from a plain PyTorch state_dict of the example's models.
    static func inferConfig(_ file: SafeTensors, path: String, kind: String?, nhead: Int) throws -> LanguageModelConfig {
        if let emb = file.entries["input_emb.weight"] {
            let layers = Set(file.names.compactMap { n -> Int? in
                guard n.hasPrefix("encoder.layers.") else { return nil }
                return Int(n.split(separator: ".")[2])
            }).count
            guard let ff = file.entries["encoder.layers.0.linear1.weight"] else {
                throw LoadError.cannotInferModel(path, "no encoder.layers.0.linear1.weight")
            }
            // The head count is not visible in the weights: it comes from --nhead.
            return LanguageModelConfig(kind: "Transformer", ntoken: emb.shape[0], emsize: emb.shape[1], nhid: ff.shape[0],
                                       nlayers: layers, nhead: nhead, dropout: 0)
        }
        guard let emb = file.entries["encoder.weight"], let wih = file.entries["rnn.weight_ih_l0"],
              let whh = file.entries["rnn.weight_hh_l0"] else {
            throw LoadError.cannotInferModel(path, "expected encoder.weight and rnn.weight_ih_l0 (RNN) or input_emb.weight (Transformer)")
        }
        let hidden = whh.shape[1], gates = wih.shape[0] / max(hidden, 1)
        let layers = file.names.filter { $0.hasPrefix("rnn.weight_ih_l") }.count
        let resolved: String
        switch (gates, kind) {
        case (4, _): resolved = "LSTM"
        case (3, _): resolved = "GRU"
        case (1, let k?) where k == "RNN_TANH" || k == "RNN_RELU": resolved = k
        case (1, _): throw LoadError.cannotInferModel(path, "an Elman RNN's nonlinearity is not stored; pass --model RNN_TANH or RNN_RELU")
        default: throw LoadError.cannotInferModel(path, "rnn.weight_ih_l0 has \(wih.shape[0]) rows for hidden size \(hidden)")
        }
        var tied = false
        if let dec = file.entries["decoder.weight"] { tied = dec.bytes == emb.bytes }
        return LanguageModelConfig(kind: resolved, ntoken: emb.shape[0], emsize: emb.shape[1], nhid: hidden,
                                   nlayers: layers, dropout: 0, tied: tied)
    }
}
