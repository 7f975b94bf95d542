import Foundation

/// Word counts and the corpus as sentences of ids, for word2vec.
///
/// As gensim's `LineSentence`: one sentence per line, words split on whitespace. The
/// vocabulary keeps words seen at least `minCount` times, most frequent first (ties in
/// first-seen order), so id order is frequency order.
public struct Word2VecCorpus: Sendable {
    public var words: [String]
    public var counts: [Int]
    /// Sentences as ids into `words`; words below `minCount` are dropped.
    public var sentences: [[Int32]]
    /// Total count of in-vocabulary words in the corpus.
    public var totalWords: Int { counts.reduce(0, +) }

    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case unreadable(String, String)
        case empty(String)
        case vocabularyEmpty(minCount: Int, distinct: Int)

        public var description: String {
            switch self {
            case .unreadable(let p, let why): return "cannot read input '\(p)': \(why)"
            case .empty(let p): return "input '\(p)' contains no words"
            case .vocabularyEmpty(let m, let d):
                return "no word occurs at least --min-count \(m) times (\(d) distinct words); lower --min-count or use more text"
            }
        }
    }

    public init(contentsOf url: URL, minCount: Int) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw Error.unreadable(url.path, error.localizedDescription) }
        try self.init(data: data, minCount: minCount, name: url.path)
    }

    public init(data: Data, minCount: Int, name: String = "input") throws {
        // Pass 1: count, keeping each line's raw token ids.
        var index: [Substring: Int32] = [:]
        var rawWords: [Substring] = []
        var rawCounts: [Int] = []
        var rawSentences: [[Int32]] = []
        let text = String(decoding: data, as: UTF8.self)
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            var sentence: [Int32] = []
            for w in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0.isWhitespace }) {
                if let id = index[w] {
                    rawCounts[Int(id)] += 1
                    sentence.append(id)
                } else {
                    let id = Int32(rawWords.count)
                    index[w] = id
                    rawWords.append(w)
                    rawCounts.append(1)
                    sentence.append(id)
                }
            }
            if !sentence.isEmpty { rawSentences.append(sentence) }
        }
        guard !rawWords.isEmpty else { throw Error.empty(name) }
        // Keep frequent words, most frequent first (stable: ties keep first-seen order).
        let kept = rawCounts.indices.filter { rawCounts[$0] >= minCount }
            .sorted { rawCounts[$0] != rawCounts[$1] ? rawCounts[$0] > rawCounts[$1] : $0 < $1 }
        guard !kept.isEmpty else { throw Error.vocabularyEmpty(minCount: minCount, distinct: rawWords.count) }
        var remap = [Int32](repeating: -1, count: rawWords.count)
        for (newID, old) in kept.enumerated() { remap[old] = Int32(newID) }
        words = kept.map { String(rawWords[$0]) }
        counts = kept.map { rawCounts[$0] }
        sentences = rawSentences.compactMap { s in
            let mapped = s.compactMap { remap[Int($0)] >= 0 ? remap[Int($0)] : nil }
            return mapped.isEmpty ? nil : mapped
        }
    }

    /// Probability of keeping each occurrence of word i under frequent-word subsampling
    /// (word2vec.c / gensim): (√(f/(s·T)) + 1) · (s·T)/f, capped at 1; 1 when `sample` is 0.
    public func keepProbabilities(sample: Double) -> [Double] {
        guard sample > 0 else { return counts.map { _ in 1 } }
        let threshold = sample * Double(totalWords)
        return counts.map { c in min(1, ((Double(c) / threshold).squareRoot() + 1) * threshold / Double(c)) }
    }
}

/// The negative-sampling distribution: word i drawn with probability ∝ count_i^0.75, through
/// a table of `size` slots filled in proportion (word2vec.c's unigram table).
public struct UnigramTable: Sendable {
    public let slots: [Int32]

    public init(counts: [Int], power: Double = 0.75, size: Int = 10_000_000) {
        let weights = counts.map { pow(Double($0), power) }
        let total = weights.reduce(0, +)
        var table = [Int32](repeating: 0, count: size)
        var word = 0
        var cumulative = weights[0] / total
        for i in 0..<size {
            table[i] = Int32(word)
            if Double(i + 1) / Double(size) > cumulative && word < counts.count - 1 {
                word += 1
                cumulative += weights[word] / total
            }
        }
        slots = table
    }
}
