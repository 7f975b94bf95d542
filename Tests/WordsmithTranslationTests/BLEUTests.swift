import Foundation
import Testing
@testable import WordsmithTranslation

/// Expected values are worked out by hand from the BLEU definition (see each comment).
struct BLEUTests {
    func bleu(_ hyp: [String], _ ref: [String]) -> BLEU { BLEU(hypotheses: hyp, references: ref) }

    @Test func identicalSentencesScore100() {
        let b = bleu(["the cat sat on the mat"], ["the cat sat on the mat"])
        #expect(abs(b.score - 100) < 1e-9)
        #expect(b.brevityPenalty == 1)
    }

    @Test func brevityPenaltyOfAShortHypothesis() {
        // 13a splits the final period: reference 7 tokens, hypothesis 6, all n-grams match.
        // BLEU = exp(1 - 7/6) * 100.
        let b = bleu(["the cat sat on the mat"], ["the cat sat on the mat."])
        #expect(b.referenceLength == 7 && b.hypothesisLength == 6)
        #expect(b.matches == [6, 5, 4, 3] && b.totals == [6, 5, 4, 3])
        #expect(abs(b.score - 100 * exp(1 - 7.0 / 6)) < 1e-9)
    }

    @Test func zeroMatchOrdersAreSmoothedLikeSacreBLEU() {
        // a b c d vs a b x d: p1 = 3/4, p2 = 1/3, no 3- or 4-gram matches, so the first gets
        // 1/(2·2) and the second 1/(4·1): (75 · 33.33 · 25 · 25)^(1/4) = 1562500^(1/4) = √1250.
        let b = bleu(["a b c d"], ["a b x d"])
        #expect(b.matches == [3, 1, 0, 0] && b.totals == [4, 3, 2, 1])
        #expect(abs(b.score - 1250.0.squareRoot()) < 1e-9)
    }

    @Test func countsAreClippedByTheReference() {
        // "the" x4 against one "the": p1 = 1/4; no bigram matches (smoothed 1/(2·3)),
        // then 1/(4·2), 1/(8·1); BP = 1 (4 >= 2): (25 · 16.67 · 12.5 · 12.5)^(1/4).
        let b = bleu(["the the the the"], ["the cat"])
        #expect(b.matches == [1, 0, 0, 0])
        let expected = pow(25 * (100.0 / 6) * 12.5 * 12.5, 0.25)
        #expect(abs(b.score - expected) < 1e-9)
    }

    @Test func orderWithNoHypothesisNGramsGivesZero() {
        // Three tokens have no 4-grams at all: BLEU is 0 (sacreBLEU without effective order).
        #expect(bleu(["a b c"], ["a b c"]).score == 0)
        #expect(bleu([""], ["a b c"]).score == 0)
        // No unigram matches at all: 0, and no smoothed precisions (sacreBLEU's early stop).
        let none = bleu(["w x y z"], ["a b c d"])
        #expect(none.score == 0 && none.precisions == [0, 0, 0, 0])
    }

    @Test func corpusBLEUSumsCountsOverSentences() {
        // Sentence 1 matches fully (4 tokens), sentence 2 not at all (4 tokens):
        // p = 4/8, 3/6, 2/4, 1/2 -> BLEU 50; lengths equal so BP = 1.
        let b = bleu(["a b c d", "e f g h"], ["a b c d", "w x y z"])
        #expect(b.matches == [4, 3, 2, 1] && b.totals == [8, 6, 4, 2])
        #expect(abs(b.score - 50) < 1e-9)
    }

    @Test func mteval13aTokenization() {
        #expect(BLEU.tokenize("Hello, world! It costs $3.50.", .mteval13a) == ["Hello", ",", "world", "!", "It", "costs", "$", "3.50", "."])
        #expect(BLEU.tokenize("I don't know (yet)", .mteval13a) == ["I", "don't", "know", "(", "yet", ")"])
        #expect(BLEU.tokenize("1,000 people; 2-3 days &amp; more", .mteval13a) == ["1,000", "people", ";", "2", "-", "3", "days", "&", "more"])
        #expect(BLEU.tokenize("我喜欢小狗。", .zh) == ["我", "喜", "欢", "小", "狗", "。"])
    }

    @Test func summaryLineLooksLikeSacreBLEUs() {
        let s = bleu(["a b c d"], ["a b x d"]).description
        #expect(s.hasPrefix("BLEU = 35.36 75.0/33.3/25.0/25.0 (BP = 1.000 ratio = 1.000 hyp_len = 4 ref_len = 4)"))
    }
}
