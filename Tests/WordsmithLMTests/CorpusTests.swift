import Foundation
import Testing
import WordsmithLM

/// Writes train/valid/test files into a fresh temporary folder.
func makeCorpus(train: String, valid: String, test: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("corpus-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in [("train.txt", train), ("valid.txt", valid), ("test.txt", test)] {
        try Data(text.utf8).write(to: dir.appendingPathComponent(name))
    }
    return dir
}

@Suite("Corpus, vocabulary and batching")
struct CorpusTests {
    @Test("ids follow data.Corpus: train, then valid, then test, first-seen order, <eos> per line")
    func idsMatchTheExample() throws {
        let dir = try makeCorpus(train: " the cat sat \n\n the dog\tsat on the mat \n",
                                 valid: "a cat\r\nthe end", test: "new words here\n")
        let c = try Corpus(folder: dir)
        // By hand: the=0 cat=1 sat=2 <eos>=3 (line 2 is empty: just <eos>) dog=4 on=5 mat=6;
        // valid: a=7 cat end=8; test: new=9 words=10 here=11.
        #expect(c.train == [0, 1, 2, 3, 3, 0, 4, 2, 5, 0, 6, 3])
        #expect(c.valid == [7, 1, 3, 0, 8, 3])
        #expect(c.test == [9, 10, 11, 3])
        #expect(c.vocabulary.words == ["the", "cat", "sat", "<eos>", "dog", "on", "mat", "a", "end", "new", "words", "here"])
    }

    @Test func characterTokenizerForTextWithoutSpaces() throws {
        let dir = try makeCorpus(train: "我喜欢小狗\n小狗喜欢我\n", valid: "我喜欢\n", test: "小狗\n")
        let c = try Corpus(folder: dir, tokenizer: .char)
        #expect(c.vocabulary.words == ["我", "喜", "欢", "小", "狗", "<eos>"])
        #expect(c.train == [0, 1, 2, 3, 4, 5, 3, 4, 1, 2, 0, 5])
    }

    @Test func unicodeWhitespaceSplitsLikePython() throws {
        let dir = try makeCorpus(train: "a\u{00A0}b\u{3000}c é\n", valid: "a\n", test: "b\n")
        #expect(try Corpus(folder: dir).vocabulary.words == ["a", "b", "c", "é", "<eos>"])
    }

    @Test func errorsNameTheProblem() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/corpus")
        #expect(throws: CorpusError.missingFolder(missing.path)) { try Corpus(folder: missing) }
        let dir = try makeCorpus(train: "a b\n", valid: "a\n", test: "b\n")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("test.txt"))
        #expect(throws: CorpusError.missingFile(dir.appendingPathComponent("test.txt").path)) { try Corpus(folder: dir) }
        let empty = try makeCorpus(train: "a b\n", valid: "\n\n", test: "b\n")
        #expect(throws: CorpusError.emptyFile(empty.appendingPathComponent("valid.txt").path)) { try Corpus(folder: empty) }
    }

    @Test("batchify and get_batch lay out the stream as the example does")
    func batching() {
        let stream = BatchedStream(Array(0..<11).map(Int32.init), batchSize: 2)  // 5 rows, 1 dropped
        #expect(stream.ids.shape == [5, 2])
        #expect(stream.ids.values == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9])  // column j holds tokens j*5..<(j+1)*5
        #expect(Array(stream.chunkStarts(bptt: 3)) == [0, 3])
        let (x, y) = stream.chunk(at: 3, bptt: 3)  // last chunk is shorter: rows 3 only
        #expect(x.shape == [1, 2] && x.values == [3, 8] && y == [4, 9])
        let (x0, y0) = stream.chunk(at: 0, bptt: 3)
        #expect(x0.values == [0, 5, 1, 6, 2, 7] && y0 == [1, 6, 2, 7, 3, 8])
    }

    @Test func demoCorpusShipsWithThePackage() throws {
        let folder = try #require(DemoCorpus.folder)
        let c = try Corpus(folder: folder)
        #expect(c.train.count > 10_000 && c.vocabulary.count > 50)
    }
}
