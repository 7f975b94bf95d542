import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithWord2Vec

/// `wordsmith word2vec`: the original word2vec tool's options and defaults.
struct Word2VecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "word2vec",
        abstract: "Train word vectors with CBOW or skip-gram and negative sampling.",
        discussion: """
            Reads one sentence per line, words separated by whitespace. Writes the word2vec text \
            format (or binary with --binary), which gensim's KeyedVectors.load_word2vec_format reads.
            """)

    @Option(help: "Training text.")
    var input: String
    @Option(help: "Where to write the vectors.")
    var output: String
    @Option(help: "cbow or skipgram.")
    var model: Word2Vec.Architecture = .cbow
    @Option(help: "Dimension of the vectors.")
    var size = 100
    @Option(help: "Maximum distance between the centre and a context word (reduced at random per word).")
    var window = 5
    @Option(help: "Negative samples per prediction.")
    var negative = 5
    @Option(help: "Subsampling threshold for frequent words (0 disables).")
    var sample = 1e-3
    @Option(name: .customLong("min-count"), help: "Discard words seen fewer times.")
    var minCount = 5
    @Option(help: "Starting learning rate (default 0.05 for CBOW, 0.025 for skip-gram), decaying linearly to alpha * 1e-4.")
    var alpha: Float?
    @Option(help: "Passes over the corpus.")
    var iter = 5
    @Option(help: "Worker threads (lock-free updates).")
    var threads = Parallel.coreCount
    @Option(help: "Random seed.")
    var seed: UInt64 = 1
    @Flag(help: "Write the binary format.")
    var binary = false

    func validate() throws {
        if size < 1 { throw ValidationError("--size must be at least 1") }
        if window < 1 { throw ValidationError("--window must be at least 1") }
        if negative < 1 { throw ValidationError("--negative must be at least 1 (this tool trains with negative sampling)") }
        if sample < 0 { throw ValidationError("--sample must not be negative") }
        if minCount < 1 { throw ValidationError("--min-count must be at least 1") }
        if iter < 1 { throw ValidationError("--iter must be at least 1") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let a = alpha, !(a > 0) { throw ValidationError("--alpha must be positive") }
    }

    func run() throws {
        let corpus = try Word2VecCorpus(contentsOf: URL(fileURLWithPath: input), minCount: minCount)
        Console.info("Vocabulary: \(corpus.words.count) words (min-count \(minCount)); \(corpus.totalWords) training words")
        var options = Word2Vec.Options()
        options.architecture = model
        options.size = size
        options.window = window
        options.negative = negative
        options.sample = sample
        options.minCount = minCount
        options.alpha = alpha
        options.iterations = iter
        options.threads = threads
        options.seed = seed
        let w2v = Word2Vec(corpus: corpus, options: options)
        let start = Date()
        let rate = w2v.train { p in
            let line = String(format: "Alpha: %.6f  Progress: %5.1f%%  Words/sec: %.0fk", p.alpha,
                              100 * Double(p.wordsDone) / Double(max(p.wordsTotal, 1)), p.wordsPerSecond / 1000)
            if Console.isTerminal { FileHandle.standardError.write(Data(("\r" + line).utf8)) }
        }
        if Console.isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        Console.info(String(format: "Trained %@ in %.1f s: %.0f words/s", model.rawValue, Date().timeIntervalSince(start), rate))
        try w2v.keyedVectors.write(to: URL(fileURLWithPath: output), binary: binary)
        Console.info("Wrote \(corpus.words.count) vectors of dimension \(size) to \(output)\(binary ? " (binary)" : "")")
    }
}

extension Word2Vec.Architecture: ExpressibleByArgument {}

struct Similar: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Nearest neighbours of a word by cosine similarity.")
    @Argument(help: "The word.") var word: String
    @Option(help: "Vector file (word2vec text or binary format).") var vectors = "vectors.txt"
    @Option(help: "How many neighbours.") var topn = 10

    func run() throws {
        let kv = try KeyedVectors(contentsOf: URL(fileURLWithPath: vectors))
        guard kv.id(word) != nil else { throw UserError("'\(word)' is not in the vectors (\(kv.count) words)") }
        for (w, s) in kv.mostSimilar(positive: [word], topN: topn) { print(padded(w, 20) + String(format: " %.4f", s)) }
    }
}

struct Analogy: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A is to B as C is to ?  (nearest to B - A + C).")
    @Argument(help: "A") var a: String
    @Argument(help: "B") var b: String
    @Argument(help: "C") var c: String
    @Option(help: "Vector file (word2vec text or binary format).") var vectors = "vectors.txt"
    @Option(help: "How many answers.") var topn = 5

    func run() throws {
        let kv = try KeyedVectors(contentsOf: URL(fileURLWithPath: vectors))
        let missing = [a, b, c].filter { kv.id($0) == nil }
        if !missing.isEmpty { throw UserError("not in the vectors: \(missing.joined(separator: ", "))") }
        for (w, s) in kv.mostSimilar(positive: [b, c], negative: [a], topN: topn) { print(padded(w, 20) + String(format: " %.4f", s)) }
    }
}

struct EvaluateVectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate-vectors",
        abstract: "Score vectors on the Google analogy set and WordSim-353 (as gensim does).")
    @Option(help: "Vector file (word2vec text or binary format).") var vectors = "vectors.txt"
    @Option(help: "Analogy questions (default: data/word2vec/questions-words.txt or ../shared/data/word2vec/questions-words.txt).")
    var analogies: String?
    @Option(help: "Word-pair similarities (default: the wordsim353.tsv beside the analogies).")
    var similarity: String?
    @Option(help: "Only the most frequent words answer analogies (gensim's restrict_vocab).")
    var restrict = 30_000

    static func find(_ name: String) -> String? {
        ["data/word2vec/\(name)", "../shared/data/word2vec/\(name)"].first { FileManager.default.fileExists(atPath: $0) }
    }

    func run() throws {
        let kv = try KeyedVectors(contentsOf: URL(fileURLWithPath: vectors))
        guard let questionsPath = analogies ?? Self.find("questions-words.txt") else {
            throw UserError("no analogy file found; pass --analogies questions-words.txt")
        }
        let questions = try String(contentsOfFile: questionsPath, encoding: .utf8)
        let (sections, total) = WordVectorEvaluation.analogies(kv, questions: questions, restrict: restrict)
        for s in sections {
            print(padded(s.name, 28) + String(format: " %6.1f%%  (%d/%d)", 100 * s.accuracy, s.correct, s.correct + s.incorrect))
        }
        print(padded("analogy total", 28) + String(format: " %6.1f%%  (%d/%d)", 100 * total.accuracy, total.correct, total.correct + total.incorrect))
        if let pairsPath = similarity ?? Self.find("wordsim353.tsv") {
            let r = WordVectorEvaluation.wordSimilarity(kv, pairs: try String(contentsOfFile: pairsPath, encoding: .utf8))
            print(String(format: "WordSim-353 Spearman %.4f  (%d pairs, %d skipped: unknown words)", r.spearman, r.used, r.skipped))
        }
    }
}

/// `s` left-aligned in a column of `width` characters.
func padded(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}
