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
        // Pass 1: count, keeping each line's raw token ids. Bytes are scanned directly
        // (String splitting by Character is ten times slower on a 2M-word corpus).
        var index: [String: Int32] = [:]
        var rawWords: [String] = []
        var rawCounts: [Int] = []
        var rawSentences: [[Int32]] = []
        func add(_ word: String, to sentence: inout [Int32]) {
            if let id = index[word] {
                rawCounts[Int(id)] += 1
                sentence.append(id)
            } else {
                let id = Int32(rawWords.count)
                index[word] = id
                rawWords.append(word)
                rawCounts.append(1)
                sentence.append(id)
            }
        }
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var sentence: [Int32] = []
            var start = -1
            var asciiOnly = true
            var lineStart = 0
            func endLine(_ end: Int) {
                if !asciiOnly {
                    // Rare: split this line on Unicode whitespace instead, undoing the
                    // counts of the words taken from it before the first non-ASCII byte.
                    for id in sentence { rawCounts[Int(id)] -= 1 }
                    sentence.removeAll(keepingCapacity: true)
                    let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<end]), as: UTF8.self)
                    for w in line.split(whereSeparator: \.isWhitespace) { add(String(w), to: &sentence) }
                }
                if !sentence.isEmpty { rawSentences.append(sentence) }
                sentence = []
                asciiOnly = true
            }
            for i in 0..<bytes.count {
                let b = bytes[i]
                if b >= 0x80 { asciiOnly = false }
                let newline = b == 0x0A || b == 0x0D
                let space = newline || b == 0x20 || b == 0x09 || b == 0x0B || b == 0x0C
                if space {
                    if start >= 0 {
                        if asciiOnly { add(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self), to: &sentence) }
                        start = -1
                    }
                    if newline {
                        endLine(i)
                        lineStart = i + 1
                    }
                } else if start < 0 {
                    start = i
                }
            }
            if start >= 0 && asciiOnly { add(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self), to: &sentence) }
            endLine(bytes.count)
        }
        guard !rawWords.isEmpty else { throw Error.empty(name) }
        // Keep frequent words, most frequent first (stable: ties keep first-seen order).
        let kept = rawCounts.indices.filter { rawCounts[$0] >= max(minCount, 1) }
            .sorted { rawCounts[$0] != rawCounts[$1] ? rawCounts[$0] > rawCounts[$1] : $0 < $1 }
        guard !kept.isEmpty else { throw Error.vocabularyEmpty(minCount: minCount, distinct: rawWords.count) }
        var remap = [Int32](repeating: -1, count: rawWords.count)
        for (newID, old) in kept.enumerated() { remap[old] = Int32(newID) }
        words = kept.map { rawWords[$0] }
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
