import Foundation
import Testing
import WordsmithEngine
import CWordsmithKernels
@testable import WordsmithWord2Vec

@Suite("word2vec")
struct Word2VecTests {
    @Test func vocabularyIsFrequencyOrderedAndFiltered() throws {
        let c = try Word2VecCorpus(data: Data("b a b c\na b b\n\nd\n".utf8), minCount: 2)
        #expect(c.words == ["b", "a"])  // b: 4, a: 2; c and d below min-count
        #expect(c.counts == [4, 2])
        #expect(c.sentences == [[0, 1, 0], [1, 0, 0]])
    }

    @Test func nonASCIILinesAreSplitOnUnicodeWhitespaceAndCountedOnce() throws {
        let c = try Word2VecCorpus(data: Data("a b\u{00A0}c a\nb é\n".utf8), minCount: 1)
        #expect(c.words == ["a", "b", "c", "é"])
        #expect(c.counts == [2, 2, 1, 1])
        #expect(c.sentences == [[0, 1, 2, 0], [1, 3]])
    }

    @Test func corpusErrors() {
        #expect(throws: Word2VecCorpus.Error.empty("input")) { try Word2VecCorpus(data: Data(" \n\n".utf8), minCount: 1) }
        #expect(throws: Word2VecCorpus.Error.vocabularyEmpty(minCount: 5, distinct: 3)) {
            try Word2VecCorpus(data: Data("a b c\n".utf8), minCount: 5)
        }
        #expect(throws: Word2VecCorpus.Error.self) { try Word2VecCorpus(contentsOf: URL(fileURLWithPath: "/nonexistent"), minCount: 1) }
    }

    @Test("the negative-sampling table follows count^0.75")
    func unigramTable() {
        let counts = [81, 16, 1]  // ^0.75 = 27, 8, 1 -> probabilities 27/36, 8/36, 1/36
        let table = UnigramTable(counts: counts, size: 36_000)
        let freq = (0..<3).map { w in Double(table.slots.filter { $0 == Int32(w) }.count) / 36_000 }
        #expect(abs(freq[0] - 27.0 / 36) < 1e-3)
        #expect(abs(freq[1] - 8.0 / 36) < 1e-3)
        #expect(abs(freq[2] - 1.0 / 36) < 1e-3)
    }

    @Test("subsampling keeps (sqrt(f/(sT)) + 1)(sT)/f of each word")
    func subsampling() throws {
        // 1000 words in total: "a" 900 times, "b" 100 times; sample 0.01 -> threshold sT = 10.
        let text = Array(repeating: "a", count: 900).joined(separator: " ") + "\n" + Array(repeating: "b", count: 100).joined(separator: " ")
        let c = try Word2VecCorpus(data: Data(text.utf8), minCount: 1)
        let p = c.keepProbabilities(sample: 0.01)
        #expect(abs(p[0] - ((900.0 / 10).squareRoot() + 1) * 10 / 900) < 1e-12)  // 0.1165
        #expect(abs(p[1] - ((100.0 / 10).squareRoot() + 1) * 10 / 100) < 1e-12)  // 0.4162
        #expect(c.keepProbabilities(sample: 0) == [1, 1])
        #expect(try Word2VecCorpus(data: Data("x y\n".utf8), minCount: 1).keepProbabilities(sample: 1) == [1, 1])  // capped at 1
    }

    @Test("one negative-sampling step matches the hand-computed gradient")
    func negativeSamplingStep() {
        var x: [Float] = [0.5, -1, 2], u: [Float] = [0.2, 0.1, -0.3], error: [Float] = [0, 0, 0]
        let alpha: Float = 0.1
        let score: Float = 0.5 * 0.2 - 0.1 - 0.6  // u·x = -0.6
        let sigma = 1 / (1 + Foundation.exp(-score))
        Worker.update(input: &x, output: &u, label: 1, alpha: alpha, error: &error, size: 3, sigmoid: SigmoidTable().values)
        // The loss -log σ(u·x) has d/d(score) = -(1 - σ); the step is g = α(1 - σ).
        let g = alpha * (1 - sigma)
        let expectedU: [Float] = [0.2 + g * 0.5, 0.1 - g, -0.3 + 2 * g]
        let expectedError: [Float] = [g * 0.2, g * 0.1, g * -0.3]
        // The sigmoid comes from word2vec's 1000-entry table: within its resolution (≈ 0.003).
        for i in 0..<3 {
            #expect(abs(u[i] - expectedU[i]) < 1e-3)
            #expect(abs(error[i] - expectedError[i]) < 1e-3)
        }
        // A negative sample (label 0) pushes the score down: g = -α σ(u·x).
        var u2: [Float] = [0.2, 0.1, -0.3], e2: [Float] = [0, 0, 0]
        Worker.update(input: &x, output: &u2, label: 0, alpha: alpha, error: &e2, size: 3, sigmoid: SigmoidTable().values)
        #expect(abs(e2[0] - (-alpha * sigma * 0.2)) < 1e-3)
        // Saturated scores use the limits of σ.
        var big: [Float] = [10, 10, 10], ub: [Float] = [1, 1, 1], eb: [Float] = [0, 0, 0]
        Worker.update(input: &big, output: &ub, label: 1, alpha: alpha, error: &eb, size: 3, sigmoid: SigmoidTable().values)
        #expect(ub == [1, 1, 1] && eb == [0, 0, 0])
    }

    /// Two groups of words used in identical contexts: each word's nearest neighbour is its
    /// group-mate.
    static func structuredCorpus() -> String {
        var lines: [String] = []
        let g = Generator(seed: 3)
        for _ in 0..<800 {
            let animal = ["cat", "dog"][g.int(below: 2)], vehicle = ["car", "truck"][g.int(below: 2)]
            lines.append("the \(animal) eats food and sleeps at home")
            lines.append("a \(vehicle) needs fuel and drives on roads")
        }
        return lines.joined(separator: "\n")
    }

    @Test(arguments: Word2Vec.Architecture.allCases)
    func tinyCorpusLearnsTheObviousNeighbours(architecture: Word2Vec.Architecture) throws {
        let corpus = try Word2VecCorpus(data: Data(Self.structuredCorpus().utf8), minCount: 1)
        var options = Word2Vec.Options()
        options.architecture = architecture
        options.size = 20
        options.sample = 0
        options.iterations = 5
        options.threads = 2
        let w2v = Word2Vec(corpus: corpus, options: options)
        w2v.train()
        let kv = w2v.keyedVectors
        #expect(kv.mostSimilar(positive: ["cat"], topN: 1).first?.word == "dog")
        #expect(kv.mostSimilar(positive: ["truck"], topN: 1).first?.word == "car")
        #expect(kv.similarity("cat", "dog")! > kv.similarity("cat", "truck")!)
    }

    @Test func textAndBinaryRoundTrips() throws {
        let kv = KeyedVectors(words: ["a", "bé", "c"], dimension: 2, vectors: [1, 2, -0.5, 0.25, 3e-8, -7])
        for binary in [false, true] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("v-\(UUID()).\(binary ? "bin" : "txt")")
            defer { try? FileManager.default.removeItem(at: url) }
            try kv.write(to: url, binary: binary)
            let back = try KeyedVectors(contentsOf: url)
            #expect(back.words == kv.words && back.vectors == kv.vectors, "binary: \(binary)")
        }
        #expect(String(decoding: kv.textData(), as: UTF8.self).hasPrefix("3 2\na 1.0 2.0\n"))
    }

    @Test("malformed vector files are rejected with a clear error", arguments: [
        ("2 2\na 1 2\n", "promises 2 vectors, found 1"),
        ("1 2\na 1 x\n", "'x' is not a number"),
        ("1 3\na 1 2\n", "expected a word and 3 numbers"),
        ("two 2\na 1 2\n", "first line must be `count dimension`"),
        ("1 2\na 1 2\nb 3 4\n", "more vectors than the header's 1"),
    ])
    func malformedText(_ text: String, _ message: String) {
        do {
            _ = try KeyedVectors(data: Data(text.utf8), binary: false)
            Issue.record("accepted: \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test func truncatedBinaryIsAnError() {
        var data = KeyedVectors(words: ["a", "b"], dimension: 4, vectors: Array(repeating: 0.5, count: 8)).binaryData()
        data.removeLast(7)
        #expect(throws: KeyedVectors.FormatError.truncated(expected: 2, found: 1)) { try KeyedVectors(data: data, binary: true) }
    }

    @Test func analogyAndSimilarityEvaluation() {
        // man:king :: woman:queen by construction.
        let kv = KeyedVectors(words: ["man", "woman", "king", "queen", "apple"], dimension: 3,
                              vectors: [1, 0, 0,  0, 1, 0,  1, 0, 1,  0, 1, 1,  -1, -1, 0.1])
        let r = WordVectorEvaluation.analogies(kv, questions: ": family\nman king woman queen\nMAN KING WOMAN QUEEN\nman king woman unknownword\n")
        #expect(r.total.correct == 2 && r.total.incorrect == 0)
        #expect(r.sections.map(\.name) == ["family"])
        let sim = WordVectorEvaluation.wordSimilarity(kv, pairs: "# comment\nking\tqueen\t8\nking\tapple\t1\nman\twoman\t7\nfoo\tbar\t3\n")
        #expect(sim.used == 3 && sim.skipped == 1)
        #expect(abs(WordVectorEvaluation.spearman([1, 2, 3, 4], [10, 20, 30, 40]) - 1) < 1e-12)
        #expect(abs(WordVectorEvaluation.spearman([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12)
        #expect(abs(WordVectorEvaluation.spearman([1, 2, 2, 3], [1, 2, 3, 4]) - 0.9486832980505138) < 1e-9)  // ties
    }
}

@Suite("Embedding initialization from vectors")
struct EmbeddingInitializerTests {
    @Test func copiesKnownWordsAndKeepsTheRest() throws {
        let kv = KeyedVectors(words: ["b", "zz"], dimension: 2, vectors: [5, 6, 7, 8])
        let weight = Tensor(shape: [3, 2], values: [1, 1, 2, 2, 3, 3])
        #expect(try EmbeddingInitializer.load(kv, into: weight, vocabulary: ["a", "b", "c"]) == 1)
        #expect(weight.scalars == [1, 1, 5, 6, 3, 3])
        #expect(throws: EmbeddingInitializer.DimensionMismatch.self) {
            try EmbeddingInitializer.load(kv, into: Tensor(zeros: [3, 4]), vocabulary: ["a", "b", "c"])
        }
    }
}

@Suite("Dispatched vector kernels")
struct VectorKernelTests {
    @Test(arguments: [1, 7, 16, 33, 100, 300])
    func matchTheScalarDefinition(n: Int) {
        let g = Generator(seed: UInt64(n))
        let a = (0..<n).map { _ in g.uniform(-1, 1) }, b = (0..<n).map { _ in g.uniform(-1, 1) }
        let reference = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(Double(ws_dot(a, b, Int32(n))) - reference) < 1e-5 * Double(n))
        var u = a, e = b
        let x = (0..<n).map { _ in g.uniform(-1, 1) }
        ws_ns_update(0.25, &u, &e, x, Int32(n))
        for i in 0..<n {
            #expect(abs(e[i] - (b[i] + 0.25 * a[i])) < 1e-6)
            #expect(abs(u[i] - (a[i] + 0.25 * x[i])) < 1e-6)
        }
        #expect(["avx512", "avx2", "generic"].contains(String(cString: ws_kernel_isa())))
    }
}
