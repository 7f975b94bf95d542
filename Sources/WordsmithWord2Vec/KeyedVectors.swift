import Foundation
import WordsmithEngine

/// Word vectors with their words, in the word2vec file formats that gensim's
/// `KeyedVectors.load_word2vec_format` reads:
/// - text: a first line `count dim`, then one line `word v1 ... vd` per word;
/// - binary: the same first line, then per word `word ` followed by `dim` little-endian
///   Float32 values and a newline.
public struct KeyedVectors: Sendable {
    public let words: [String]
    public let dimension: Int
    /// [count, dimension], row-major.
    public let vectors: [Float]
    private let index: [String: Int]
    /// Rows scaled to unit length, for cosine similarity.
    private let unit: [Float]

    public init(words: [String], dimension: Int, vectors: [Float]) {
        precondition(vectors.count == words.count * dimension, "\(vectors.count) values for \(words.count) x \(dimension)")
        self.words = words
        self.dimension = dimension
        self.vectors = vectors
        var idx: [String: Int] = [:]
        for (i, w) in words.enumerated() where idx[w] == nil { idx[w] = i }
        index = idx
        var u = vectors
        for r in 0..<words.count {
            var norm: Float = 0
            for j in 0..<dimension { norm += u[r * dimension + j] * u[r * dimension + j] }
            let inv = norm > 0 ? 1 / norm.squareRoot() : 0
            for j in 0..<dimension { u[r * dimension + j] *= inv }
        }
        unit = u
    }

    public var count: Int { words.count }
    public func id(_ word: String) -> Int? { index[word] }
    public func vector(_ word: String) -> ArraySlice<Float>? {
        index[word].map { vectors[($0 * dimension)..<(($0 + 1) * dimension)] }
    }

    // MARK: Files

    public enum FormatError: Error, CustomStringConvertible, Equatable {
        case unreadable(String, String)
        case badHeader(String)
        case badLine(Int, String)
        case truncated(expected: Int, found: Int)

        public var description: String {
            switch self {
            case .unreadable(let p, let why): return "cannot read vectors '\(p)': \(why)"
            case .badHeader(let h): return "malformed vector file: the first line must be `count dimension`, found '\(h.prefix(60))'"
            case .badLine(let n, let why): return "malformed vector file at line \(n): \(why)"
            case .truncated(let e, let f): return "vector file is truncated: the header promises \(e) vectors, found \(f)"
            }
        }
    }

    public func textData() -> Data {
        var s = "\(count) \(dimension)\n"
        s.reserveCapacity(count * dimension * 10)
        for (i, w) in words.enumerated() {
            s += w
            for j in 0..<dimension { s += " "; s += String(vectors[i * dimension + j]) }
            s += "\n"
        }
        return Data(s.utf8)
    }

    public func binaryData() -> Data {
        var out = Data("\(count) \(dimension)\n".utf8)
        for (i, w) in words.enumerated() {
            out.append(Data((w + " ").utf8))
            for j in 0..<dimension {
                var bits = vectors[i * dimension + j].bitPattern.littleEndian
                withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
            }
            out.append(0x0A)
        }
        return out
    }

    public func write(to url: URL, binary: Bool) throws {
        try AtomicFile.write(binary ? binaryData() : textData(), to: url)
    }

    /// Reads either format (binary detected from the bytes after the header).
    public init(contentsOf url: URL, binary: Bool? = nil) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw FormatError.unreadable(url.path, error.localizedDescription) }
        try self.init(data: data, binary: binary)
    }

    public init(data: Data, binary: Bool? = nil) throws {
        guard let newline = data.firstIndex(of: 0x0A) else { throw FormatError.badHeader(String(decoding: data.prefix(60), as: UTF8.self)) }
        let header = String(decoding: data[data.startIndex..<newline], as: UTF8.self)
        let parts = header.split(separator: " ")
        guard parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n >= 0, d > 0 else { throw FormatError.badHeader(header) }
        let body = data[(newline + 1)...]
        let isBinary = binary ?? !KeyedVectors.looksLikeText(body.prefix(4096))
        var words: [String] = []
        var values: [Float] = []
        words.reserveCapacity(n)
        values.reserveCapacity(n * d)
        if isBinary {
            var i = body.startIndex
            while words.count < n {
                while i < body.endIndex, body[i] == 0x0A { i += 1 }  // newline after the previous vector
                guard let space = body[i...].firstIndex(of: 0x20) else { break }
                let word = String(decoding: body[i..<space], as: UTF8.self)
                let start = space + 1
                guard body.endIndex - start >= 4 * d else { throw FormatError.truncated(expected: n, found: words.count) }
                for j in 0..<d {
                    let o = start + 4 * j
                    let bits = UInt32(body[o]) | UInt32(body[o + 1]) << 8 | UInt32(body[o + 2]) << 16 | UInt32(body[o + 3]) << 24
                    values.append(Float(bitPattern: bits))
                }
                words.append(word)
                i = start + 4 * d
            }
        } else {
            let text = String(decoding: body, as: UTF8.self)
            for (lineNo, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                if words.count == n { throw FormatError.badLine(lineNo + 2, "more vectors than the header's \(n)") }
                let fields = line.split(separator: " ")
                guard fields.count == d + 1 else {
                    throw FormatError.badLine(lineNo + 2, "expected a word and \(d) numbers, found \(fields.count) fields")
                }
                for f in fields.dropFirst() {
                    guard let v = Float(f) else { throw FormatError.badLine(lineNo + 2, "'\(f)' is not a number") }
                    values.append(v)
                }
                words.append(String(fields[0]))
            }
        }
        guard words.count == n else { throw FormatError.truncated(expected: n, found: words.count) }
        self.init(words: words, dimension: d, vectors: values)
    }

    static func looksLikeText(_ bytes: Data) -> Bool {
        // Text vectors are printable; binary floats almost always contain control bytes.
        bytes.allSatisfy { $0 == 0x0A || $0 == 0x09 || $0 == 0x0D || $0 >= 0x20 }
    }

    // MARK: Similarity

    public func similarity(_ a: String, _ b: String) -> Float? {
        guard let i = index[a], let j = index[b] else { return nil }
        return cosine(i, j)
    }

    func cosine(_ i: Int, _ j: Int) -> Float {
        var s: Float = 0
        for k in 0..<dimension { s += unit[i * dimension + k] * unit[j * dimension + k] }
        return s
    }

    /// `mostSimilar` for many queries at once, scored with one matrix product per block of
    /// queries (the analogy test asks ~20,000 of them against 30,000 words).
    public func mostSimilarBatch(_ queries: [(positive: [String], negative: [String])], restrict: Int? = nil) -> [String?] {
        let limit = min(restrict ?? count, count), d = dimension
        var answers: [String?] = []
        answers.reserveCapacity(queries.count)
        let block = 1024
        var scores = [Float](repeating: 0, count: block * limit)
        var q = [Float](repeating: 0, count: block * d)
        var start = 0
        while start < queries.count {
            let n = min(block, queries.count - start)
            var excluded: [Set<Int>] = []
            for r in 0..<n {
                let (pos, neg) = queries[start + r]
                var ex = Set<Int>()
                for k in 0..<d { q[r * d + k] = 0 }
                for (ws, sign) in [(pos, Float(1)), (neg, Float(-1))] {
                    for w in ws {
                        guard let i = index[w] else { continue }
                        ex.insert(i)
                        for k in 0..<d { q[r * d + k] += sign * unit[i * d + k] }
                    }
                }
                excluded.append(ex)
            }
            q.withUnsafeBufferPointer { qp in
                unit.withUnsafeBufferPointer { up in
                    scores.withUnsafeMutableBufferPointer { sp in
                        GEMM.sgemm(transA: false, transB: true, m: n, n: limit, k: d, a: qp.baseAddress!, lda: d,
                                   b: up.baseAddress!, ldb: d, c: sp.baseAddress!, ldc: limit)
                    }
                }
            }
            for r in 0..<n {
                var best = -1, bestScore = -Float.infinity
                for c in 0..<limit where scores[r * limit + c] > bestScore && !excluded[r].contains(c) {
                    best = c
                    bestScore = scores[r * limit + c]
                }
                answers.append(best >= 0 ? words[best] : nil)
            }
            start += n
        }
        return answers
    }

    /// Words closest in cosine similarity to Σ positive - Σ negative (unit vectors, as
    /// gensim's `most_similar`), excluding the query words; searching the first
    /// `restrict` words only when given.
    public func mostSimilar(positive: [String], negative: [String] = [], topN: Int = 10, restrict: Int? = nil) -> [(word: String, similarity: Float)] {
        var query = [Float](repeating: 0, count: dimension)
        var exclude = Set<Int>()
        for (words, sign) in [(positive, Float(1)), (negative, Float(-1))] {
            for w in words {
                guard let i = index[w] else { continue }
                exclude.insert(i)
                for k in 0..<dimension { query[k] += sign * unit[i * dimension + k] }
            }
        }
        var norm: Float = 0
        for v in query { norm += v * v }
        guard norm > 0 else { return [] }
        let limit = min(restrict ?? count, count)
        var scored: [(Int, Float)] = []
        scored.reserveCapacity(limit)
        for r in 0..<limit where !exclude.contains(r) {
            var s: Float = 0
            for k in 0..<dimension { s += unit[r * dimension + k] * query[k] }
            scored.append((r, s / norm.squareRoot()))
        }
        return scored.sorted { $0.1 > $1.1 }.prefix(topN).map { (words[$0.0], $0.1) }
    }
}
