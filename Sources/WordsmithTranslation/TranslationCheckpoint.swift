import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels

/// A translation model in one safetensors file: the `Seq2SeqTransformer`'s parameters under
/// PyTorch names (`src_emb.weight`, `transformer.encoder.layers.0.self_attn.in_proj_weight`,
/// ..., `generator.weight`) and, as metadata:
///
/// | metadata key                    | value                                       |
/// |---------------------------------|---------------------------------------------|
/// | `wordsmith.seq2seq.config`      | `Seq2SeqConfig` as JSON                     |
/// | `wordsmith.source_vocabulary`   | JSON array of source tokens, by id          |
/// | `wordsmith.target_vocabulary`   | JSON array of target tokens, by id          |
/// | `wordsmith.source_tokenizer`    | `characters` or `words`                     |
/// | `wordsmith.target_tokenizer`    | `characters` or `words`                     |
/// | `wordsmith.training`            | where training stood (`TrainingState`), for |
/// |                                 | `translate-train --resume`                  |
///
/// Adam's state goes in a file of its own beside it (`Checkpoint.optimizerStateURL(for:)`).
public struct TranslationCheckpoint {
    public var model: Seq2SeqTransformer
    public var sourceVocabulary: Vocabulary
    public var targetVocabulary: Vocabulary
    public var sourceTokenizer: TranslationTokenizer
    public var targetTokenizer: TranslationTokenizer
    /// Set when a training run saved the file.
    public var training: TrainingState?

    /// Where a training run stood when it saved these weights (its best epoch so far).
    public struct TrainingState: Codable, Equatable, Sendable {
        /// Epochs completed.
        public var epoch: Int
        /// Optimizer steps taken (the learning-rate schedule's position).
        public var step: Int
        /// The validation BLEU of these weights, which later epochs must beat to be saved.
        public var bestBLEU: Double
        /// The dropout generator's position (`Generator.positionText`).
        public var generator: [String]

        public init(epoch: Int, step: Int, bestBLEU: Double, generator: Generator) {
            self.epoch = epoch
            self.step = step
            self.bestBLEU = bestBLEU
            self.generator = generator.positionText
        }

        /// Moves `generator` to the saved position; false when it is malformed.
        public func restore(_ generator: Generator) -> Bool { generator.move(to: self.generator) }
    }

    public init(model: Seq2SeqTransformer, sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary,
                sourceTokenizer: TranslationTokenizer, targetTokenizer: TranslationTokenizer, training: TrainingState? = nil) {
        self.model = model
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.sourceTokenizer = sourceTokenizer
        self.targetTokenizer = targetTokenizer
        self.training = training
    }

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case invalid(String, String)

        public var description: String {
            switch self {
            case .missing(let p): return "checkpoint '\(p)' does not exist; train one with `wordsmith translate-train --save \(p)`"
            case .invalid(let p, let why): return "'\(p)' is not a translation checkpoint: \(why)"
            }
        }
    }

    /// Writes the file atomically (a temporary file renamed into place).
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
        var metadata = [
            "format": "pt",
            "wordsmith.seq2seq.config": try json(model.config),
            "wordsmith.source_vocabulary": try json(sourceVocabulary.words),
            "wordsmith.target_vocabulary": try json(targetVocabulary.words),
            "wordsmith.source_tokenizer": sourceTokenizer.rawValue,
            "wordsmith.target_tokenizer": targetTokenizer.rawValue,
        ]
        if let training { metadata["wordsmith.training"] = try json(training) }
        try model.safetensors(metadata: metadata).write(to: url)
    }

    /// Loads a checkpoint; `generator` draws the model's dropout masks (when it trains on).
    public static func load(from url: URL, generator: Generator = Generator(seed: 0)) throws -> TranslationCheckpoint {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw LoadError.missing(path) }
        let file: SafeTensors
        do { file = try SafeTensors(contentsOf: url) } catch { throw LoadError.invalid(path, "\(error)") }
        func decode<T: Decodable>(_ key: String, as type: T.Type) throws -> T {
            guard let text = file.metadata[key] else {
                throw LoadError.invalid(path, "metadata '\(key)' is missing (is it a language-model checkpoint? use `wordsmith generate`)")
            }
            guard let value = try? JSONDecoder().decode(type, from: Data(text.utf8)) else {
                throw LoadError.invalid(path, "metadata '\(key)' cannot be read")
            }
            return value
        }
        func tokenizer(_ key: String) throws -> TranslationTokenizer {
            guard let t = file.metadata[key].flatMap(TranslationTokenizer.init(rawValue:)) else {
                throw LoadError.invalid(path, "metadata '\(key)' must be characters or words")
            }
            return t
        }
        let config = try decode("wordsmith.seq2seq.config", as: Seq2SeqConfig.self)
        if let problem = config.problems.first { throw LoadError.invalid(path, problem) }
        let source = Vocabulary(words: try decode("wordsmith.source_vocabulary", as: [String].self))
        let target = Vocabulary(words: try decode("wordsmith.target_vocabulary", as: [String].self))
        guard source.count == config.sourceVocab, target.count == config.targetVocab else {
            throw LoadError.invalid(path, "vocabulary sizes \(source.count)/\(target.count) disagree with the config's \(config.sourceVocab)/\(config.targetVocab)")
        }
        let training = file.metadata["wordsmith.training"] == nil ? nil
            : try decode("wordsmith.training", as: TrainingState.self)
        let model = Seq2SeqTransformer(config, generator: generator)
        do { try model.load(file) } catch { throw LoadError.invalid(path, "\(error)") }
        return TranslationCheckpoint(model: model, sourceVocabulary: source, targetVocabulary: target,
                                     sourceTokenizer: try tokenizer("wordsmith.source_tokenizer"),
                                     targetTokenizer: try tokenizer("wordsmith.target_tokenizer"), training: training)
    }

    /// Source text -> ids (unknown tokens become `<unk>`).
    public func encodeSource(_ text: String) -> [Int32] {
        ParallelCorpus.encode(sourceTokenizer.tokenize(text), sourceVocabulary)
    }

    /// Target ids -> text.
    public func decodeTarget(_ ids: [Int32]) -> String {
        targetTokenizer.detokenize(ids.map { targetVocabulary.word($0) })
    }
}
