import Foundation
import Testing
import WordsmithEngine
@testable import WordsmithTranslation

struct ParallelCorpusTests {
    @Test func englishWordsAreLowerCasedWithPunctuationSplitOff() {
        let t = TranslationTokenizer.words
        #expect(t.tokenize("Hi, I'm Tom.") == ["hi", ",", "i'm", "tom", "."])
        #expect(t.tokenize("It's 3.5 km, isn't it?") == ["it's", "3.5", "km", ",", "isn't", "it", "?"])
        #expect(t.tokenize("\"Well-known\" x-ray!") == ["\"", "well-known", "\"", "x-ray", "!"])
        #expect(t.detokenize(["hi", ",", "i'm", "tom", "."]) == "Hi, I'm tom.")
        #expect(t.detokenize(["where", "are", "you", "?"]) == "Where are you?")
    }

    @Test func chineseIsCutIntoCharacters() {
        let t = TranslationTokenizer.characters
        #expect(t.tokenize("你好 世界！") == ["你", "好", "世", "界", "！"])
        #expect(t.detokenize(["你", "好", "。"]) == "你好。")
        #expect(TranslationTokenizer.guess(for: ["我喜欢小狗。", "你好。"]) == .characters)
        #expect(TranslationTokenizer.guess(for: ["I like dogs.", "Hello."]) == .words)
    }

    @Test func splitMix64MatchesTheReferenceSequence() {
        // First outputs of SplitMix64 seeded with 0 (the published test vector).
        var r = SplitMix64(seed: 0)
        #expect(r.next() == 0xE220_A839_7B1D_CDAF)
        #expect(r.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    func pairs(_ n: Int) -> [(source: String, target: String)] {
        // Every third pair repeats an earlier target (two translations of one sentence).
        (0..<n).map { i in ("源\(i)", i % 3 == 2 ? "target \(i - 1)" : "target \(i)") }
    }

    @Test func splitIsSeededDisjointAndKeepsEqualTargetsTogether() throws {
        var options = ParallelCorpus.Options()
        options.validFraction = 0.1
        options.testFraction = 0.1
        let data = pairs(300)
        let a = ParallelCorpus.split(targets: data.map(\.target), options: options)
        let b = ParallelCorpus.split(targets: data.map(\.target), options: options)
        #expect(a.train == b.train && a.valid == b.valid && a.test == b.test)
        let all = a.train + a.valid + a.test
        #expect(Set(all).count == 300 && all.count == 300)
        #expect(a.test.count >= 30 && a.test.count <= 31 && a.valid.count >= 30 && a.valid.count <= 31)
        func targets(_ idx: [Int]) -> Set<String> { Set(idx.map { data[$0].target }) }
        #expect(targets(a.train).isDisjoint(with: targets(a.test)))
        #expect(targets(a.train).isDisjoint(with: targets(a.valid)))
        options.seed = 99
        #expect(ParallelCorpus.split(targets: data.map(\.target), options: options).test != a.test)
    }

    @Test func vocabulariesStartWithSpecialsThenFrequency() {
        let v = ParallelCorpus.vocabulary([["b", "a", "a"], ["c", "a", "b"], ["d"]], minFrequency: 1)
        #expect(v.words == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b", "c", "d"])
        let rare = ParallelCorpus.vocabulary([["b", "a", "a"], ["c", "a", "b"]], minFrequency: 2)
        #expect(rare.words == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"])
        #expect(ParallelCorpus.encode(["a", "zzz"], rare) == [4, ParallelCorpus.unk])
    }

    @Test func batchesPadAndShiftTheTarget() {
        let p = [SentencePair(sourceText: "", targetText: "", source: [5, 6], target: [7]),
                 SentencePair(sourceText: "", targetText: "", source: [8], target: [9, 10])]
        let b = TranslationBatch(p, indices: [0, 1])
        // Sequence-first [len, batch]: columns are sentences.
        #expect(b.source.shape == [3, 2] && b.source.values == [5, 8, 6, 2, 2, 0])
        #expect(b.targetInput.shape == [3, 2] && b.targetInput.values == [1, 1, 7, 9, 0, 10])
        #expect(b.targetOutput == [7, 9, 2, 10, 0, 2])
        #expect(b.targetTokens == 5 && b.sourceTokens == 5)
    }

    @Test func batchesGroupSimilarLengths() {
        let p = (0..<40).map { i in
            SentencePair(sourceText: "", targetText: "", source: [Int32](repeating: 5, count: 1 + (i * 7) % 20), target: [6])
        }
        let batches = TranslationBatch.batches(p, batchSize: 8, seed: 3)
        #expect(batches.count == 5)
        #expect(Set(batches.flatMap(\.indices)).count == 40)
        let widths = batches.map { $0.source.shape[0] }
        #expect(widths == widths.sorted())
    }

    @Test func loadReportsBadFiles() throws {
        #expect(throws: ParallelCorpusError.self) { try ParallelCorpus.load("/nonexistent/cmn.txt") }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ws-bad-\(getpid()).txt")
        try "only one column\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        #expect {
            try ParallelCorpus.load(url.path)
        } throws: { error in
            "\(error)".contains("line 1 has 1 tab-separated columns")
        }
    }
}

/// The Tatoeba cmn-eng file in ../shared/data (skipped when absent).
let cmnEng: String? = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let path = root.deletingLastPathComponent().appendingPathComponent("shared/data/translation/cmn-eng/cmn.txt").path
    return FileManager.default.fileExists(atPath: path) ? path : nil
}()

struct CmnEngSplitTests {
    /// The expected values come from benchmarks/translation/pytorch_translation.py, an
    /// independent Python implementation of the documented split and vocabulary rules, so the
    /// PyTorch reference trains and tests on exactly the same pairs.
    @Test(.enabled(if: cmnEng != nil, "no ../shared/data/translation/cmn-eng/cmn.txt"))
    func splitAndVocabulariesMatchThePythonReference() throws {
        let corpus = try ParallelCorpus.load(try #require(cmnEng))
        #expect(corpus.train.count == 28826 && corpus.valid.count == 1601 && corpus.test.count == 1601)
        #expect(corpus.sourceVocabulary.count == 3646 && corpus.targetVocabulary.count == 7322)
        #expect(corpus.sourceTokenizer == .characters && corpus.targetTokenizer == .words)
        #expect(Array(corpus.targetVocabulary.words.prefix(12)) == ["<pad>", "<bos>", "<eos>", "<unk>", ".", "the", "i", "to", "you", "?", "a", "is"])
        #expect(Array(corpus.sourceVocabulary.words[4..<10]) == ["。", "我", "的", "了", "你", "他"])
        // Line numbers (0-based) of the first test pairs in the file.
        let text = try String(contentsOfFile: try #require(cmnEng), encoding: .utf8).split(separator: "\n")
        for (pair, line) in zip(corpus.test, [19746, 22382, 28038, 12918, 19681]) {
            #expect(pair.targetText == String(text[line].split(separator: "\t")[0]))
        }
    }
}
