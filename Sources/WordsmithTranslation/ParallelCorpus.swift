import Foundation
import WordsmithEngine
import WordsmithLM

/// One sentence pair: the raw text (the reference for BLEU) and its token ids.
public struct SentencePair: Sendable {
    public var sourceText: String
    public var targetText: String
    public var source: [Int32]
    public var target: [Int32]
}

public enum ParallelCorpusError: Error, CustomStringConvertible {
    case missingFile(String)
    case unreadable(String, String)
    case badColumns(String, line: Int, columns: Int, needed: Int)
    case tooFewPairs(String, Int)

    public var description: String {
        switch self {
        case .missingFile(let p):
            return "'\(p)' does not exist; pass --data with a tab-separated file of sentence pairs (e.g. ../shared/data/translation/cmn-eng/cmn.txt)"
        case .unreadable(let p, let why):
            return "cannot read '\(p)': \(why)"
        case .badColumns(let p, let line, let columns, let needed):
            return "'\(p)' line \(line) has \(columns) tab-separated columns, but column \(needed) is needed; check --source-column and --target-column"
        case .tooFewPairs(let p, let n):
            return "'\(p)' has only \(n) usable sentence pairs; translation needs at least 20 (train, validation and test)"
        }
    }
}

/// A tab-separated file of sentence pairs, tokenized, split into train / validation / test,
/// with one vocabulary per side built over the training split.
///
/// The split is fixed by the seed and reproducible outside this code: pairs are grouped by
/// their target text (so a test reference never appears as a training target), groups are
/// listed in first-seen order and shuffled by Fisher-Yates with `SplitMix64(seed)`, the first
/// groups go to test until it holds `testFraction` of the pairs, the next to validation, the
/// rest to training (`benchmarks/translation/pytorch_translation.py` does the same).
public struct ParallelCorpus: Sendable {
    public var sourceTokenizer: TranslationTokenizer
    public var targetTokenizer: TranslationTokenizer
    public var sourceVocabulary: Vocabulary
    public var targetVocabulary: Vocabulary
    public var train: [SentencePair]
    public var valid: [SentencePair]
    public var test: [SentencePair]

    /// Ids of the special tokens, the first four entries of both vocabularies.
    public static let pad: Int32 = 0, bos: Int32 = 1, eos: Int32 = 2, unk: Int32 = 3
    public static let specials = ["<pad>", "<bos>", "<eos>", "<unk>"]

    public struct Options: Sendable {
        /// 1-based columns of the tab-separated file.
        public var sourceColumn = 2
        public var targetColumn = 1
        public var validFraction = 0.05
        public var testFraction = 0.05
        public var seed: UInt64 = 1234
        /// Tokens seen fewer times in training become `<unk>`.
        public var minFrequency = 1
        /// Pairs with more tokens than this on either side are left out of training.
        public var maxLength = 100
        /// Tokenizers; nil picks one from the text (`TranslationTokenizer.guess`).
        public var sourceTokenizer: TranslationTokenizer?
        public var targetTokenizer: TranslationTokenizer?
        public init() {}
    }

    public static func load(_ path: String, options: Options = Options()) throws -> ParallelCorpus {
        guard FileManager.default.fileExists(atPath: path) else { throw ParallelCorpusError.missingFile(path) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ParallelCorpusError.unreadable(path, error.localizedDescription)
        }
        var pairs: [(String, String)] = []
        let needed = max(options.sourceColumn, options.targetColumn)
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.allSatisfy(\.isWhitespace) { continue }
            let columns = trimmed.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= needed, options.sourceColumn >= 1, options.targetColumn >= 1 else {
                throw ParallelCorpusError.badColumns(path, line: i + 1, columns: columns.count, needed: needed)
            }
            let s = String(columns[options.sourceColumn - 1]), t = String(columns[options.targetColumn - 1])
            if s.allSatisfy(\.isWhitespace) || t.allSatisfy(\.isWhitespace) { continue }
            pairs.append((s, t))
        }
        guard pairs.count >= 20 else { throw ParallelCorpusError.tooFewPairs(path, pairs.count) }
        return ParallelCorpus(pairs: pairs, options: options)
    }

    public init(pairs: [(source: String, target: String)], options: Options = Options()) {
        let samples = pairs.prefix(2000)
        let srcTok = options.sourceTokenizer ?? .guess(for: samples.map(\.source))
        let tgtTok = options.targetTokenizer ?? .guess(for: samples.map(\.target))
        let (trainIdx, validIdx, testIdx) = ParallelCorpus.split(targets: pairs.map(\.target), options: options)
        let tokenized = pairs.map { (srcTok.tokenize($0.source), tgtTok.tokenize($0.target)) }
        let trainKept = trainIdx.filter { tokenized[$0].0.count <= options.maxLength && tokenized[$0].1.count <= options.maxLength }
        let srcVocab = ParallelCorpus.vocabulary(trainKept.map { tokenized[$0].0 }, minFrequency: options.minFrequency)
        let tgtVocab = ParallelCorpus.vocabulary(trainKept.map { tokenized[$0].1 }, minFrequency: options.minFrequency)
        func make(_ indices: [Int]) -> [SentencePair] {
            indices.map { i in
                SentencePair(sourceText: pairs[i].source, targetText: pairs[i].target,
                             source: ParallelCorpus.encode(tokenized[i].0, srcVocab),
                             target: ParallelCorpus.encode(tokenized[i].1, tgtVocab))
            }
        }
        (sourceTokenizer, targetTokenizer, sourceVocabulary, targetVocabulary) = (srcTok, tgtTok, srcVocab, tgtVocab)
        (train, valid, test) = (make(trainKept), make(validIdx), make(testIdx))
    }

    /// Token ids of `tokens`, `<unk>` for unknown ones.
    public static func encode(_ tokens: [String], _ vocabulary: Vocabulary) -> [Int32] {
        tokens.map { vocabulary.id($0) ?? unk }
    }

    /// The specials, then tokens by descending training frequency (ties in first-seen order).
    static func vocabulary(_ sentences: [[String]], minFrequency: Int) -> Vocabulary {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for s in sentences {
            for t in s {
                if counts[t] == nil { order.append(t) }
                counts[t, default: 0] += 1
            }
        }
        let ranked = order.enumerated()
            .filter { counts[$0.element, default: 0] >= minFrequency && !specials.contains($0.element) }
            .sorted { a, b in
                let (ca, cb) = (counts[a.element, default: 0], counts[b.element, default: 0])
                return ca != cb ? ca > cb : a.offset < b.offset
            }
            .map(\.element)
        return Vocabulary(words: specials + ranked)
    }

    /// Indices of the train, validation and test pairs (see the type's documentation).
    static func split(targets: [String], options: Options) -> (train: [Int], valid: [Int], test: [Int]) {
        var groupOf: [String: Int] = [:]
        var groups: [[Int]] = []
        for (i, t) in targets.enumerated() {
            if let g = groupOf[t] { groups[g].append(i) } else { groupOf[t] = groups.count; groups.append([i]) }
        }
        var rng = SplitMix64(seed: options.seed)
        for i in stride(from: groups.count - 1, to: 0, by: -1) {
            groups.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        let n = targets.count
        let testSize = Int((Double(n) * options.testFraction).rounded()), validSize = Int((Double(n) * options.validFraction).rounded())
        var train: [Int] = [], valid: [Int] = [], test: [Int] = []
        for g in groups {
            if test.count < testSize { test += g } else if valid.count < validSize { valid += g } else { train += g }
        }
        return (train, valid, test)
    }
}
