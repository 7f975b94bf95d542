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
public struct TranslationCheckpoint {
    public var model: Seq2SeqTransformer
    public var sourceVocabulary: Vocabulary
    public var targetVocabulary: Vocabulary
    public var sourceTokenizer: TranslationTokenizer
    public var targetTokenizer: TranslationTokenizer

    public init(model: Seq2SeqTransformer, sourceVocabulary: Vocabulary, targetVocabulary: Vocabulary,
                sourceTokenizer: TranslationTokenizer, targetTokenizer: TranslationTokenizer) {
        self.model = model
        self.sourceVocabulary = sourceVocabulary
        self.targetVocabulary = targetVocabulary
        self.sourceTokenizer = sourceTokenizer
        self.targetTokenizer = targetTokenizer
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
        try model.safetensors(metadata: [
            "format": "pt",
            "wordsmith.seq2seq.config": try json(model.config),
            "wordsmith.source_vocabulary": try json(sourceVocabulary.words),
            "wordsmith.target_vocabulary": try json(targetVocabulary.words),
            "wordsmith.source_tokenizer": sourceTokenizer.rawValue,
            "wordsmith.target_tokenizer": targetTokenizer.rawValue,
        ]).write(to: url)
    }

    public static func load(from url: URL) throws -> TranslationCheckpoint {
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
        let model = Seq2SeqTransformer(config, generator: Generator(seed: 0))
        do { try model.load(file) } catch { throw LoadError.invalid(path, "\(error)") }
        return TranslationCheckpoint(model: model, sourceVocabulary: source, targetVocabulary: target,
                                     sourceTokenizer: try tokenizer("wordsmith.source_tokenizer"),
                                     targetTokenizer: try tokenizer("wordsmith.target_tokenizer"))
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
