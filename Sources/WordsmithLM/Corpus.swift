import Foundation

/// How text is split into tokens.
public enum Tokenizer: String, CaseIterable, Sendable {
    /// Whitespace-separated words (Python's `str.split()`), plus `<eos>` at each line end.
    case word
    /// Unicode characters (extended grapheme clusters) without spaces, plus `<eos>` at each
    /// line end: for text without spaces such as Chinese ("我喜欢小狗").
    case char
}

public enum CorpusError: Error, CustomStringConvertible, Equatable {
    case missingFolder(String)
    case missingFile(String)
    case emptyFile(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .missingFolder(let p):
            return "data folder '\(p)' does not exist; pass --data with a folder holding train.txt, valid.txt and test.txt"
        case .missingFile(let p):
            return "'\(p)' is missing; a corpus folder needs train.txt, valid.txt and test.txt"
        case .emptyFile(let p):
            return "'\(p)' has no tokens; each of train.txt, valid.txt and test.txt needs text"
        case .unreadable(let p, let why):
            return "cannot read '\(p)': \(why)"
        }
    }
}

/// A tokenized corpus folder with train.txt, valid.txt and test.txt (PyTorch's `data.Corpus`):
/// the vocabulary is built over train, then valid, then test, in first-seen order.
public struct Corpus: Sendable {
    public var vocabulary: Vocabulary
    public var train: [Int32]
    public var valid: [Int32]
    public var test: [Int32]

    public init(folder: URL, tokenizer: Tokenizer = .word) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw CorpusError.missingFolder(folder.path)
        }
        var vocab = Vocabulary()
        var splits: [[Int32]] = []
        for name in ["train.txt", "valid.txt", "test.txt"] {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { throw CorpusError.missingFile(url.path) }
            let data: Data
            do { data = try Data(contentsOf: url) } catch { throw CorpusError.unreadable(url.path, error.localizedDescription) }
            let ids = Corpus.tokenize(data, tokenizer: tokenizer, vocabulary: &vocab)
            guard ids.contains(where: { vocab.word($0) != Vocabulary.endOfSentence }) else { throw CorpusError.emptyFile(url.path) }
            splits.append(ids)
        }
        vocabulary = vocab
        (train, valid, test) = (splits[0], splits[1], splits[2])
    }

    /// Tokenizes text, adding new tokens to `vocabulary`. Lines end at \n, \r\n or \r
    /// (Python's universal newlines); each line contributes its tokens and `<eos>`.
    public static func tokenize(_ data: Data, tokenizer: Tokenizer, vocabulary: inout Vocabulary) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(data.count / 5)
        let eos = Vocabulary.endOfSentence
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            let n = bytes.count
            var lineStart = 0
            var i = 0
            while i <= n {
                let atEnd = i == n
                let b: UInt8 = atEnd ? 0 : bytes[i]
                if atEnd || b == 0x0A || b == 0x0D {
                    if !atEnd || lineStart < n {  // a last line without terminator still counts
                        let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<i])
                        tokenizeLine(line, tokenizer: tokenizer, vocabulary: &vocabulary, into: &ids)
                        ids.append(vocabulary.add(eos))
                    }
                    if !atEnd && b == 0x0D && i + 1 < n && bytes[i + 1] == 0x0A { i += 1 }
                    lineStart = i + 1
                }
                i += 1
            }
        }
        return ids
    }

    static func tokenizeLine(_ line: UnsafeBufferPointer<UInt8>, tokenizer: Tokenizer,
                             vocabulary: inout Vocabulary, into ids: inout [Int32]) {
        let text = String(decoding: line, as: UTF8.self)
        switch tokenizer {
        case .char:
            for ch in text where !ch.isWhitespace { ids.append(vocabulary.add(String(ch))) }
        case .word:
            if line.allSatisfy({ $0 < 0x80 }) {
                // ASCII fast path: split on Python's ASCII whitespace.
                var start = -1
                for (j, b) in line.enumerated() {
                    let space = b == 0x20 || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F)
                    if space {
                        if start >= 0 { ids.append(vocabulary.add(String(decoding: UnsafeBufferPointer(rebasing: line[start..<j]), as: UTF8.self))); start = -1 }
                    } else if start < 0 { start = j }
                }
                if start >= 0 { ids.append(vocabulary.add(String(decoding: UnsafeBufferPointer(rebasing: line[start...]), as: UTF8.self))) }
            } else {
                for w in text.unicodeScalars.split(whereSeparator: isPythonWhitespace) {
                    ids.append(vocabulary.add(String(String.UnicodeScalarView(w))))
                }
            }
        }
    }

    /// The characters Python's `str.split()` splits on.
    static func isPythonWhitespace(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
