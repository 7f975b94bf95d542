import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels

/// `wordsmith generate`: PyTorch's word_language_model/generate.py, plus prompts and
/// top-k / top-p sampling.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text from a trained language model.",
        discussion: "Prints to stdout, or writes --outf. `<eos>` is written as a line break.")

    @Option(help: "Model file (safetensors).")
    var checkpoint = "model.safetensors"
    @Option(help: "Number of words to generate.")
    var words = 1000
    @Option(help: "Temperature: higher gives more diversity.")
    var temperature: Float = 1.0
    @Option(help: "Random seed.")
    var seed: UInt64 = 1111
    @Option(help: "Output file (default: stdout).")
    var outf: String?
    @Option(name: .customLong("log-interval"), help: "Report progress every this many words when writing --outf.")
    var logInterval = 100
    @Option(help: "Text to continue.")
    var prompt: String?
    @Option(name: .customLong("top-k"), help: "Sample only from the k most likely words.")
    var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample only from the most likely words whose probability adds up to p.")
    var topP: Float?
    // Flags of the example's generate.py: --data is not needed (the vocabulary is in the
    // checkpoint) and --cuda / --mps / --accel have no meaning here.
    @Option(help: .hidden)
    var data: String?
    @Flag(name: [.customLong("cuda"), .customLong("mps"), .customLong("accel")], help: .hidden)
    var accelerator = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if accelerator { throw ValidationError("Wordsmith runs on the CPU; drop --cuda / --mps / --accel") }
        if words < 0 { throw ValidationError("--words must not be negative") }
        if !(temperature > 0) { throw ValidationError("--temperature must be positive (1.0 is neutral)") }
        if let k = topK, k < 1 { throw ValidationError("--top-k must be at least 1") }
        if let p = topP, !(p > 0 && p <= 1) { throw ValidationError("--top-p must be in (0, 1]") }
        if logInterval < 1 { throw ValidationError("--log-interval must be at least 1") }
    }

    func run() throws {
        common.logBackend()
        if data != nil { Console.info("Note: --data is not needed; the checkpoint holds the vocabulary") }
        let ckpt = try Checkpoint.load(from: URL(fileURLWithPath: checkpoint))
        let vocab = ckpt.vocabulary
        let promptIDs = try promptTokens(ckpt)
        let generator = Generator(seed: seed)
        let start = promptIDs.isEmpty
            ? [vocab.id(Vocabulary.endOfSentence) ?? Int32(generator.int(below: vocab.count))] : promptIDs
        var out = prompt.map { $0 + (ckpt.tokenizer == .word ? " " : "") } ?? ""
        if outf == nil { FileHandle.standardOutput.write(Data(out.utf8)) }
        var produced = 0
        let textGenerator = TextGenerator(model: ckpt.model, sampler: Sampler(temperature: temperature, topK: topK, topP: topP))
        textGenerator.generate(prompt: start, count: words, generator: generator) { id in
            let w = vocab.word(id)
            let piece = w == Vocabulary.endOfSentence ? "\n" : (ckpt.tokenizer == .word ? w + " " : w)
            produced += 1
            if outf == nil {
                FileHandle.standardOutput.write(Data(piece.utf8))
            } else {
                out += piece
                if produced % logInterval == 0 { Console.info("| Generated \(produced)/\(words) words") }
            }
        }
        if let outf {
            try AtomicFile.write(Data(out.utf8), to: URL(fileURLWithPath: outf))
        } else {
            print()
        }
    }

    /// The prompt as ids; unknown words become `<unk>` when the vocabulary has it (with a
    /// warning, since the model then sees less than the user typed), else an error.
    func promptTokens(_ ckpt: Checkpoint) throws -> [Int32] {
        guard let prompt, !prompt.isEmpty else { return [] }
        let pieces: [String] = ckpt.tokenizer == .word
            ? prompt.split(whereSeparator: \.isWhitespace).map(String.init)
            : prompt.filter { !$0.isWhitespace }.map(String.init)
        var ids: [Int32] = []
        var unknown: [String] = []
        let unk = ckpt.vocabulary.id(Vocabulary.unknown)
        for p in pieces {
            if let id = ckpt.vocabulary.id(p) { ids.append(id) }
            else { unknown.append(p); if let unk { ids.append(unk) } }
        }
        guard !unknown.isEmpty else { return ids }
        let message = "prompt word\(unknown.count > 1 ? "s" : "") not in the model's vocabulary: "
            + unknown.map { "'\($0)'" }.joined(separator: ", ")
        guard unk != nil else { throw UserError(message + "; use words from the training corpus") }
        Console.info("Warning: \(message); read as \(Vocabulary.unknown)")
        return ids
    }
}
