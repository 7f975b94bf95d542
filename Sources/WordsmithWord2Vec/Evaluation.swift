import Foundation

/// Standard word-vector evaluations, computed as gensim computes them.
public enum WordVectorEvaluation {
    public struct AnalogySection: Sendable {
        public var name: String
        public var correct: Int
        public var incorrect: Int
        public var accuracy: Double { correct + incorrect == 0 ? 0 : Double(correct) / Double(correct + incorrect) }
    }

    /// The Google analogy test (`: section` headers, then `a b c d` lines): for each question
    /// whose four words are among the `restrict` most frequent, is d the nearest word to
    /// b - a + c (excluding a, b, c)? Words are compared case-insensitively (gensim's default).
    public static func analogies(_ vectors: KeyedVectors, questions: String, restrict: Int = 30_000) -> (sections: [AnalogySection], total: AnalogySection) {
        let limit = min(restrict, vectors.count)
        // Case-insensitive lookup over the restricted vocabulary; the most frequent spelling wins.
        var lower: [String: String] = [:]
        for w in vectors.words.prefix(limit) where lower[w.lowercased()] == nil { lower[w.lowercased()] = w }
        var sections: [AnalogySection] = []
        var asked: [(section: Int, answer: String, query: (positive: [String], negative: [String]))] = []
        for line in questions.split(separator: "\n") {
            if line.hasPrefix(":") {
                sections.append(AnalogySection(name: line.dropFirst().trimmingCharacters(in: .whitespaces), correct: 0, incorrect: 0))
                continue
            }
            let q = line.split(separator: " ").map { $0.lowercased() }
            guard q.count == 4, !sections.isEmpty else { continue }
            guard let a = lower[q[0]], let b = lower[q[1]], let c = lower[q[2]], let d = lower[q[3]] else { continue }
            asked.append((sections.count - 1, d, ([b, c], [a])))
        }
        let answers = vectors.mostSimilarBatch(asked.map(\.query), restrict: limit)
        for (question, answer) in zip(asked, answers) {
            if answer == question.answer { sections[question.section].correct += 1 } else { sections[question.section].incorrect += 1 }
        }
        let total = AnalogySection(name: "Total accuracy", correct: sections.reduce(0) { $0 + $1.correct },
                                   incorrect: sections.reduce(0) { $0 + $1.incorrect })
        return (sections, total)
    }

    /// Spearman rank correlation between human similarity scores (`word1 word2 score` per
    /// line, tab or space separated, `#` comments) and cosine similarity; pairs with an unknown
    /// word are skipped and counted.
    public static func wordSimilarity(_ vectors: KeyedVectors, pairs: String) -> (spearman: Double, used: Int, skipped: Int) {
        var human: [Double] = [], model: [Double] = []
        var skipped = 0
        var lower: [String: String] = [:]
        for w in vectors.words where lower[w.lowercased()] == nil { lower[w.lowercased()] = w }
        for line in pairs.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(whereSeparator: { $0 == "\t" || $0 == " " })
            guard f.count >= 3, let score = Double(f[2]) else { continue }
            guard let a = lower[f[0].lowercased()], let b = lower[f[1].lowercased()], let s = vectors.similarity(a, b) else {
                skipped += 1
                continue
            }
            human.append(score)
            model.append(Double(s))
        }
        return (spearman(human, model), human.count, skipped)
    }

    /// Spearman's ρ: Pearson correlation of the ranks (ties get their average rank).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        func ranks(_ v: [Double]) -> [Double] {
            let order = v.indices.sorted { v[$0] < v[$1] }
            var r = [Double](repeating: 0, count: v.count)
            var i = 0
            while i < order.count {
                var j = i
                while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
                let avg = Double(i + j) / 2 + 1
                for k in i...j { r[order[k]] = avg }
                i = j + 1
            }
            return r
        }
        guard x.count == y.count, x.count > 1 else { return .nan }
        let rx = ranks(x), ry = ranks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }
}
