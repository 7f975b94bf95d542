import Foundation

/// How one side of a translation pair is cut into tokens.
///
/// - `characters`: every Unicode character except whitespace is a token, for text without
///   spaces between words (Chinese, Japanese): "你好。" -> 你 好 。
/// - `words`: lower-cased words with punctuation split off (English and other space-separated
///   languages): "Hi, I'm Tom." -> hi , i'm tom .  A word is a run of letters and digits with
///   inner apostrophes or hyphens ("don't", "x-ray", "3.5" stays "3.5"); every other
///   non-space character is a token of its own.
public enum TranslationTokenizer: String, Codable, CaseIterable, Sendable {
    case characters
    case words

    public func tokenize(_ text: String) -> [String] {
        switch self {
        case .characters:
            return text.filter { !$0.isWhitespace }.map(String.init)
        case .words:
            return Self.words(text.lowercased())
        }
    }

    /// Tokens back to text: characters are joined; words are joined by spaces except before
    /// closing punctuation and after opening punctuation, and the sentence and the pronoun
    /// "i" are capitalized (training lower-cases, references keep their case).
    public func detokenize(_ tokens: [String]) -> String {
        switch self {
        case .characters:
            return tokens.joined()
        case .words:
            var out = ""
            var previous: String?
            for token in tokens {
                let word = token == "i" ? "I" : token.hasPrefix("i'") ? "I" + token.dropFirst() : token
                if let p = previous, !Self.attachesLeft(word), !Self.opens(p) { out += " " }
                out += word
                previous = word
            }
            guard let first = out.first else { return out }
            return first.uppercased() + out.dropFirst()
        }
    }

    /// Chinese, Japanese or Korean text (most letters are CJK), which `characters` suits.
    public static func guess(for samples: [String]) -> TranslationTokenizer {
        var cjk = 0, letters = 0
        for s in samples {
            for u in s.unicodeScalars where u.properties.isAlphabetic {
                letters += 1
                if isCJK(u) { cjk += 1 }
            }
        }
        return letters > 0 && cjk * 2 > letters ? .characters : .words
    }

    static func isCJK(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x2E80...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true
        default: return false
        }
    }

    static func attachesLeft(_ t: String) -> Bool {
        [".", ",", "!", "?", ";", ":", "%", ")", "]", "}", "…", "'s", "n't"].contains(t)
    }

    static func opens(_ t: String) -> Bool { ["(", "[", "{", "$", "#"].contains(t) }

    static func words(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        let chars = Array(text)
        func isWordChar(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        for (i, c) in chars.enumerated() {
            if isWordChar(c) {
                word.append(c)
            } else if (c == "'" || c == "’" || c == "-" || c == "." || c == ",") && !word.isEmpty
                        && i + 1 < chars.count && isWordChar(chars[i + 1])
                        && ((c != "." && c != ",") || (word.last?.isNumber == true && chars[i + 1].isNumber)) {
                // Inner apostrophe or hyphen ("don't", "x-ray"), decimal point or digit group ("3.5", "1,000").
                word.append(c == "’" ? "'" : c)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                if !c.isWhitespace { tokens.append(String(c)) }
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }
}
