import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels

/// `wordsmith evaluate`: validation and test loss and perplexity of a checkpoint.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report validation and test loss and perplexity of a trained model.",
        discussion: """
            The checkpoint may be one written by `wordsmith train`, or a PyTorch state_dict of the \
            word_language_model example saved with safetensors (then --data gives the vocabulary, \
            and --model is needed for RNN_TANH/RNN_RELU).
            """)

    @Option(help: "Model file (safetensors).")
    var checkpoint = "model.safetensors"
    @Option(help: "Corpus folder with train.txt, valid.txt, test.txt.")
    var data: String
    @Option(help: "Sequence length for evaluation.")
    var bptt = 35
    @Option(name: .customLong("batch-size"), help: "Evaluation batch size (the example uses 10).")
    var batchSize = 10
    @Option(help: "Model kind, only for plain PyTorch state_dicts whose kind cannot be read from the weights.")
    var model: String?
    @Option(help: "Attention heads, only for plain PyTorch Transformer state_dicts.")
    var nhead = 2
    @Option(name: .customLong("sentence-log-probs"), help: "Also write each test sentence's log-probability (natural log) and token count to this file.")
    var sentenceLogProbs: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if bptt < 1 { throw ValidationError("--bptt must be at least 1, got \(bptt)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        common.logBackend()
        // Read the checkpoint once: its tokenizer decides how the corpus is read.
        let file = try Checkpoint.read(URL(fileURLWithPath: checkpoint))
        let corpus = try Corpus(folder: URL(fileURLWithPath: data), tokenizer: Checkpoint.tokenizer(of: file))
        let ckpt = try Checkpoint.load(file: file, path: checkpoint, corpusVocabulary: corpus.vocabulary, kind: model, nhead: nhead)
        if ckpt.vocabulary != corpus.vocabulary {
            throw UserError("checkpoint '\(checkpoint)' was trained on another vocabulary than \(data) (same size, different words); evaluate it on the corpus it was trained on")
        }
        for (name, stream) in [("valid", corpus.valid), ("test", corpus.test)] {
            let loss = Trainer.evaluate(ckpt.model, BatchedStream(stream, batchSize: batchSize), bptt: bptt,
                                        progress: Console.evaluationProgress(tokensPerChunk: bptt * batchSize))
            Console.line(String(format: "| %@ loss %5.2f | %@ ppl %8.2f", name, loss, name, exp(loss)))
        }
        if let path = sentenceLogProbs {
            let eos = corpus.vocabulary.id(Vocabulary.endOfSentence) ?? -1
            let rows = Trainer.sentenceLogProbabilities(ckpt.model, corpus.test, eos: eos, bptt: bptt)
            let text = "tokens\tlog_prob\n" + rows.map { "\($0.tokens)\t\(String(format: "%.4f", $0.logProb))" }.joined(separator: "\n") + "\n"
            try AtomicFile.write(Data(text.utf8), to: URL(fileURLWithPath: path))
            Console.info("Wrote \(rows.count) sentence log-probabilities to \(path)")
        }
    }
}
