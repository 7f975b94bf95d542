import Foundation

/// Corpus BLEU-4 computed as sacreBLEU does by default (`tok:13a|smooth:exp|case:mixed`,
/// one reference per sentence), so numbers compare with published ones:
///
///     BLEU = BP · exp(¼ Σₙ log pₙ),   pₙ = clipped n-gram matches / hypothesis n-grams,
///     BP = 1 if c ≥ r else exp(1 − r/c)   (c, r: total hypothesis and reference lengths)
///
/// A precision with zero matches is smoothed the "exp" way (the k-th such order gets
/// 1 / (2ᵏ · total)); an order with no hypothesis n-grams at all, or no unigram match at
/// all, makes BLEU 0 (and, as in sacreBLEU, every precision 0 in the latter case).
public struct BLEU: Equatable, Sendable, CustomStringConvertible {
    public var matches = [Int](repeating: 0, count: 4)
    public var totals = [Int](repeating: 0, count: 4)
    public var hypothesisLength = 0
    public var referenceLength = 0

    /// How sentences are cut into tokens before counting n-grams.
    public enum Tokenization: String, CaseIterable, Sendable {
        /// sacreBLEU's default (mteval-v13a): punctuation split off, except periods and
        /// commas inside numbers.
        case mteval13a = "13a"
        /// sacreBLEU's `zh`: every CJK character is a token, the rest as 13a.
        case zh
        /// Split on whitespace only (pre-tokenized text).
        case none
    }

    public init() {}

    /// BLEU of `hypotheses` against `references`, line by line.
    public init(hypotheses: [String], references: [String], tokenization: Tokenization = .mteval13a) {
        precondition(hypotheses.count == references.count,
                     "BLEU needs one reference per hypothesis: \(hypotheses.count) vs \(references.count)")
        for (h, r) in zip(hypotheses, references) {
            add(hypothesis: BLEU.tokenize(h, tokenization), reference: BLEU.tokenize(r, tokenization))
        }
    }

    /// Adds one tokenized sentence pair to the counts.
    public mutating func add(hypothesis: [String], reference: [String]) {
        hypothesisLength += hypothesis.count
        referenceLength += reference.count
        for n in 1...4 {
            let hyp = BLEU.ngrams(hypothesis, n), ref = BLEU.ngrams(reference, n)
            totals[n - 1] += max(hypothesis.count - n + 1, 0)
            for (gram, count) in hyp { matches[n - 1] += min(count, ref[gram] ?? 0) }
        }
    }

    public var brevityPenalty: Double {
        if hypothesisLength == 0 { return 0 }
        if hypothesisLength >= referenceLength { return 1 }
        return Foundation.exp(1 - Double(referenceLength) / Double(hypothesisLength))
    }

    /// The n-gram precisions in percent, smoothed as sacreBLEU's "exp" method.
    public var precisions: [Double] {
        var p = [Double](repeating: 0, count: 4)
        if matches[0] == 0 { return p }  // sacreBLEU stops early when nothing matches
        var smooth = 1.0
        for n in 0..<4 {
            if totals[n] == 0 { break }
            if matches[n] == 0 {
                smooth *= 2
                p[n] = 100 / (smooth * Double(totals[n]))
            } else {
                p[n] = 100 * Double(matches[n]) / Double(totals[n])
            }
        }
        return p
    }

    /// BLEU in percent (0-100).
    public var score: Double {
        if hypothesisLength == 0 { return 0 }
        let p = precisions
        if p.contains(0) { return 0 }
        return brevityPenalty * Foundation.exp(p.map { Foundation.log($0) }.reduce(0, +) / 4)
    }

    /// sacreBLEU's summary line: `BLEU = 23.40 55.1/29.9/17.6/10.9 (BP = 0.974 ratio = 0.974 hyp_len = ... ref_len = ...)`.
    public var description: String {
        let p = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        let ratio = referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0
        return String(format: "BLEU = %.2f %@ (BP = %.3f ratio = %.3f hyp_len = %d ref_len = %d)",
                      score, p, brevityPenalty, ratio, hypothesisLength, referenceLength)
    }

    static func ngrams(_ tokens: [String], _ n: Int) -> [ArraySlice<String>: Int] {
        var counts: [ArraySlice<String>: Int] = [:]
        if tokens.count >= n {
            for i in 0...(tokens.count - n) { counts[tokens[i..<(i + n)], default: 0] += 1 }
        }
        return counts
    }

    // mteval-v13a's rules, as sacreBLEU's tokenizer_13a applies them in order.
    private static let rules: [(NSRegularExpression, String)] = [
        (#"([\{-\~\[-\` -\&\(-\+\:-\@\/])"#, " $1 "),  // punctuation and symbols
        (#"([^0-9])([\.,])"#, "$1 $2 "),                // period and comma unless after a digit
        (#"([\.,])([^0-9])"#, " $1 $2"),                // period and comma unless before a digit
        (#"([0-9])(-)"#, "$1 $2 "),                     // dash after a digit
    ].map { pattern, template in
        // The patterns are constants; a failure here is a programming error.
        (try! NSRegularExpression(pattern: pattern), template)
    }

    public static func tokenize(_ line: String, _ tokenization: Tokenization) -> [String] {
        switch tokenization {
        case .none:
            return line.split(whereSeparator: \.isWhitespace).map(String.init)
        case .mteval13a:
            return mteval13a(line)
        case .zh:
            var spaced = ""
            for ch in line {
                if ch.unicodeScalars.contains(where: TranslationTokenizer.isCJK) { spaced += " \(ch) " } else { spaced.append(ch) }
            }
            return mteval13a(spaced)
        }
    }

    static func mteval13a(_ line: String) -> [String] {
        var s = line.replacingOccurrences(of: "<skipped>", with: "")
            .replacingOccurrences(of: "-\n", with: "")
            .replacingOccurrences(of: "\n", with: " ")
        if s.contains("&") {
            s = s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        }
        s = " \(s) "
        for (regex, template) in rules {
            s = regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
        }
        return s.split(whereSeparator: { $0 == " " || $0.isWhitespace }).map(String.init)
    }
}
