import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels
import WordsmithNN
import WordsmithWord2Vec

/// `wordsmith train`: PyTorch's word_language_model/main.py, same flags and defaults.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a word-level language model (RNN, LSTM, GRU or Transformer).",
        discussion: """
            Without --data: uses ./data/wikitext-2 when present, else a small demo corpus shipped \
            with the tool (and a small model that trains in about a minute). Flags and defaults \
            follow PyTorch's word_language_model example; the best model by validation loss is \
            saved (safetensors, PyTorch state_dict names), the learning rate is divided by 4 \
            when validation does not improve, and the test perplexity is reported at the end. \
            Ctrl-C stops training early and still evaluates the best model; --resume continues \
            from the saved model.
            """)

    @Option(help: "Folder with train.txt, valid.txt, test.txt (default: ./data/wikitext-2, else the demo corpus).")
    var data: String?
    @Option(help: "LSTM, GRU, RNN_TANH, RNN_RELU or Transformer.")
    var model = "LSTM"
    @Option(help: "Size of word embeddings (default 200; 64 on the demo corpus).")
    var emsize: Int?
    @Option(help: "Hidden units per layer, or the Transformer's feed-forward width (default 200; 64 on the demo corpus).")
    var nhid: Int?
    @Option(help: "Number of layers.")
    var nlayers = 2
    @Option(help: "Initial learning rate (default \(Int(Train.defaultLearningRate)); with --resume, the saved run's).")
    var lr: Float?
    static let defaultLearningRate: Float = 20
    @Option(help: "Gradient clipping (maximum total norm).")
    var clip: Float = 0.25
    @Option(help: "Upper epoch limit (default 40; 3 on the demo corpus).")
    var epochs: Int?
    @Option(name: [.customLong("batch-size"), .customLong("batch_size")], help: "Batch size.")
    var batchSize = 20
    @Option(help: "Sequence length (truncated back-propagation through time).")
    var bptt = 35
    @Option(help: "Dropout applied to layers (0 = no dropout).")
    var dropout: Float = 0.2
    @Flag(help: "Tie the word embedding and softmax weights (needs emsize == nhid).")
    var tied = false
    @Option(help: "Random seed.")
    var seed: UInt64 = 1111
    @Option(name: .customLong("log-interval"), help: "Report interval in batches.")
    var logInterval = 200
    @Option(name: .customLong("eval-interval"),
            help: "Also report validation perplexity every N batches within an epoch (default: only at each epoch's end).")
    var evalInterval: Int?
    @Option(name: .customLong("eval-window"),
            help: ArgumentHelp("With --eval-interval: evaluate only in each epoch's last W batches, and report the perplexity of the mean validation loss over those evaluations and the epoch's end (a steadier measure than the end alone, which moves by several percent from one evaluation to the next at --lr 20).", valueName: "W"))
    var evalWindow: Int?
    @Option(help: "Where to save the final model (safetensors).")
    var save = "model.safetensors"
    @Option(help: "Number of heads in the Transformer's attention.")
    var nhead = 2
    @Flag(name: .customLong("dry-run"), help: "Run one batch of training and evaluation, to check the setup.")
    var dryRun = false
    @Option(help: "sgd (the example's; the default) or adamw; with --resume, the saved run's.")
    var optimizer: Trainer.OptimizerKind?
    @Option(help: "word (whitespace-separated) or char (characters, for text without spaces).")
    var tokenizer: Tokenizer = .word
    @Option(help: "Initialize the word embedding from word2vec vectors (text or binary); words not in the file keep their random init.")
    var embeddings: String?
    @Option(help: ArgumentHelp("Continue a run from the model it saved: sizes, vocabulary, epochs done and learning rate (unless --lr is given) come from the file; --epochs stays the total.", valueName: "checkpoint"))
    var resume: String?
    // Flags of PyTorch's example that have no meaning here: refused with a reason, not as unknown.
    @Flag(name: [.customLong("cuda"), .customLong("mps"), .customLong("accel")], help: .hidden)
    var accelerator = false
    @Option(name: .customLong("onnx-export"), help: .hidden)
    var onnxExport: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if accelerator { throw ValidationError("Wordsmith trains on the CPU (both cores, BLAS); drop --cuda / --mps / --accel") }
        if onnxExport != nil {
            throw ValidationError("--onnx-export is not supported; checkpoints are safetensors with the example's parameter names, so load one into its model in PyTorch (see the README's Checkpoints) and export from there")
        }
        if resume != nil && embeddings != nil { throw ValidationError("--resume and --embeddings cannot be combined: a resumed model already has its embeddings") }
        if bptt < 1 { throw ValidationError("--bptt must be at least 1, got \(bptt)") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1, got \(batchSize)") }
        if logInterval < 1 { throw ValidationError("--log-interval must be at least 1") }
        if let evalInterval, evalInterval < 1 { throw ValidationError("--eval-interval must be at least 1, got \(evalInterval)") }
        if let evalWindow {
            if evalInterval == nil { throw ValidationError("--eval-window needs --eval-interval (how often to evaluate within the window)") }
            if evalWindow < 1 { throw ValidationError("--eval-window must be at least 1, got \(evalWindow)") }
        }
        if let e = epochs, e < 1 { throw ValidationError("--epochs must be at least 1") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        let probe = LanguageModelConfig(kind: model, ntoken: 1, emsize: emsize ?? 200, nhid: nhid ?? 200,
                                        nlayers: nlayers, nhead: nhead, dropout: dropout, tied: tied)
        if let problem = probe.problems.first { throw ValidationError(problem) }
    }

    func run() throws {
        common.logBackend()
        let (folder, isDemo) = try resolveData()
        let started = Date()
        let corpus = try Corpus(folder: folder, tokenizer: tokenizer)
        Console.info("Corpus \(folder.path): \(corpus.vocabulary.count) tokens in the vocabulary; train \(corpus.train.count), valid \(corpus.valid.count), test \(corpus.test.count) (tokenized in \(String(format: "%.2f", Date().timeIntervalSince(started))) s)")

        let generator = Generator(seed: seed)
        let (lm, resumed) = try makeModel(corpus: corpus, isDemo: isDemo, generator: generator)
        Console.info("Model \(lm.config.kind): \(lm.module.parameterCount) parameters")

        let train = BatchedStream(corpus.train, batchSize: batchSize)
        let valid = BatchedStream(corpus.valid, batchSize: 10)
        let test = BatchedStream(corpus.test, batchSize: 10)
        guard train.rows > 1 else { throw UserError("train.txt has too few tokens for --batch-size \(batchSize)") }
        let optimizerKind = optimizer ?? resumed?.optimizer.flatMap(Trainer.OptimizerKind.init(rawValue:)) ?? .sgd
        let trainer = Trainer(model: lm, learningRate: lr ?? resumed?.learningRate ?? Train.defaultLearningRate, clip: clip, bptt: bptt,
                              optimizer: optimizerKind)
        var checkpoint = Checkpoint(model: lm, vocabulary: corpus.vocabulary, tokenizer: tokenizer)
        let saveURL = URL(fileURLWithPath: save)

        InterruptFlag.shared.install()
        var best: Double? = resumed?.validLoss
        var curve: [(epoch: Int, train: Double, valid: Double)] = []
        let totalEpochs = epochs ?? (isDemo ? 3 : 40)
        var epoch = (resumed?.epoch ?? 0) + 1
        if let resume, let resumed {
            guard epoch <= totalEpochs else {
                throw UserError("'\(resume)' has already trained \(resumed.epoch) epochs; pass --epochs larger than that to train on")
            }
            Console.info(String(format: "Resuming after epoch %d: lr %.4g%@, best valid ppl %.2f", resumed.epoch, trainer.learningRate,
                                lr == nil ? "" : " (from --lr)", exp(resumed.validLoss)))
            try restoreOptimizer(trainer, from: URL(fileURLWithPath: resume), resumed: resumed, kind: optimizerKind)
            if !resumed.restore(generator) {
                Console.info("Warning: '\(resume)' has no random generator position; dropout masks are drawn from --seed \(seed) afresh")
            }
            // --save names the best model so far from the start, even if no later epoch beats it.
            if URL(fileURLWithPath: resume).standardizedFileURL != saveURL.standardizedFileURL {
                checkpoint.training = resumed
                try save(checkpoint, trainer, to: saveURL)
            }
        }
        while epoch <= totalEpochs {
            let epochStart = Date()
            var windowLosses: [Double] = []  // validation losses within this epoch's --eval-window
            let trainLoss: Double
            do {
                let batches = train.chunkCount(bptt: bptt)
                trainLoss = try trainer.trainEpoch(
                    train, logInterval: logInterval, maxBatches: dryRun ? 1 : nil, stepInterval: evalInterval,
                    afterStep: { done in
                        // The epoch's end is evaluated below; --eval-window skips the evaluations before it.
                        guard done < batches, batches - done < evalWindow ?? .max else { return }
                        let loss = Trainer.evaluate(lm, valid, bptt: bptt)
                        windowLosses.append(loss)
                        Console.line(String(format: "| epoch %3d | %5d/%5d batches | valid loss %5.2f | valid ppl %8.2f",
                                            epoch, done, batches, loss, exp(loss)))
                    },
                    shouldStop: { InterruptFlag.shared.isRaised }) { p in
                    Console.line(String(format: "| epoch %3d | %5d/%5d batches | lr %02.2f | ms/batch %5.2f | loss %5.2f | ppl %8.2f",
                                        epoch, p.batch, p.batches, p.learningRate, p.msPerBatch, p.loss, p.perplexity))
                    let left = Double(p.batches - p.batch) * p.msPerBatch / 1000
                    Console.progress(done: p.batch, total: p.batches, tokensPerSecond: p.tokensPerSecond, secondsLeft: left)
                }
            } catch let error as Trainer.TrainingError {
                throw UserError("\(error)" + (best != nil ? "; the last good model is in \(save)" : ""))
            }
            if InterruptFlag.shared.isRaised {
                Console.line(String(repeating: "-", count: 89))
                Console.line("Exiting from training early")
                if best != nil { Console.info("To continue later: the same command with --resume \(save)") }
                break
            }
            let validLoss = Trainer.evaluate(lm, valid, bptt: bptt,
                                             progress: Console.evaluationProgress(tokensPerChunk: bptt * valid.batchSize))
            Console.line(String(repeating: "-", count: 89))
            Console.line(String(format: "| end of epoch %3d | time: %5.2fs | valid loss %5.2f | valid ppl %8.2f",
                                epoch, Date().timeIntervalSince(epochStart), validLoss, exp(validLoss)))
            if evalWindow != nil {
                let losses = windowLosses + [validLoss]
                let mean = losses.reduce(0, +) / Double(losses.count)
                Console.line(String(format: "| epoch %3d window | %d evaluations in the last %d batches | mean valid loss %5.2f | window ppl %8.2f",
                                    epoch, losses.count, evalWindow ?? 0, mean, exp(mean)))
            }
            Console.line(String(repeating: "-", count: 89))
            curve.append((epoch, trainLoss, validLoss))
            if let b = best, validLoss >= b {
                trainer.learningRate /= 4  // no improvement: anneal, as the example does
            } else {
                checkpoint.training = .init(epoch: epoch, learningRate: trainer.learningRate, validLoss: validLoss,
                                            optimizer: optimizerKind.rawValue, generator: generator)
                try save(checkpoint, trainer, to: saveURL)
                best = validLoss
            }
            if dryRun { break }
            epoch += 1
        }

        guard best != nil else { throw UserError("training stopped before the first epoch finished; nothing was saved") }
        let bestModel = try Checkpoint.load(from: saveURL).model
        let testLoss = Trainer.evaluate(bestModel, test, bptt: bptt,
                                        progress: Console.evaluationProgress(tokensPerChunk: bptt * test.batchSize))
        Console.line(String(repeating: "=", count: 89))
        Console.line(String(format: "| End of training | test loss %5.2f | test ppl %8.2f", testLoss, exp(testLoss)))
        Console.line(String(repeating: "=", count: 89))
        if !curve.isEmpty {
            let svg = saveURL.deletingPathExtension().appendingPathExtension("curve.svg")
            try AtomicFile.write(Data(TrainingCurve.svg(curve.map { ($0.epoch, exp($0.train), exp($0.valid)) }).utf8), to: svg)
            Console.info("Saved \(save) and the training curve \(svg.path)")
        }
        if isDemo {
            Console.info("""
                This was the demo corpus. To train on WikiText-2 as PyTorch's example does, put its \
                train.txt, valid.txt and test.txt in ./data/wikitext-2 (or pass --data FOLDER) and run \
                `swift run -c release wordsmith train --epochs 1`.
                """)
        }
    }

    /// A new model from the flags, or with --resume the saved one and where its run stood.
    func makeModel(corpus: Corpus, isDemo: Bool, generator: Generator) throws -> (LanguageModel, Checkpoint.TrainingState?) {
        guard let resume else {
            let config = LanguageModelConfig(
                kind: model, ntoken: corpus.vocabulary.count, emsize: emsize ?? (isDemo ? 64 : 200),
                nhid: nhid ?? (isDemo ? 64 : 200), nlayers: nlayers, nhead: nhead, dropout: dropout, tied: tied,
                layerDropout: model == "Transformer" ? 0.1 : nil)
            if let problem = config.problems.first { throw UserError(problem) }
            let lm = LanguageModel(config, generator: generator)
            if let embeddings {
                let vectors = try KeyedVectors(contentsOf: URL(fileURLWithPath: embeddings))
                let found = try EmbeddingInitializer.load(vectors, into: lm.embeddingWeight, vocabulary: corpus.vocabulary.words)
                Console.info("Initialized \(found) of \(corpus.vocabulary.count) word embeddings from \(embeddings)")
            }
            return (lm, nil)
        }
        let saved = try Checkpoint.load(from: URL(fileURLWithPath: resume), generator: generator)
        guard saved.vocabulary == corpus.vocabulary, saved.tokenizer == tokenizer else {
            throw UserError("'\(resume)' was trained on another corpus or tokenizer (\(saved.vocabulary.count) \(saved.tokenizer) tokens, this one has \(corpus.vocabulary.count)); pass the --data and --tokenizer it was trained with")
        }
        guard let state = saved.training else {
            throw UserError("'\(resume)' does not say where its training stood (saved by an older version, or not by `wordsmith train`); start a new run instead")
        }
        return (saved.model, state)
    }

    /// Writes the checkpoint and, when the optimizer has state (AdamW), that state beside it.
    func save(_ checkpoint: Checkpoint, _ trainer: Trainer, to url: URL) throws {
        if let epoch = checkpoint.training?.epoch {
            try OptimizerStateFile.write(trainer.optimizerState(), epoch: epoch, beside: url)
        }
        try checkpoint.write(to: url)
    }

    /// Restores AdamW's state saved beside `checkpoint` (plain SGD has none).
    func restoreOptimizer(_ trainer: Trainer, from checkpoint: URL, resumed: Checkpoint.TrainingState,
                          kind: Trainer.OptimizerKind) throws {
        guard kind == .adamw else { return }
        guard resumed.optimizer == kind.rawValue,
              let state = try OptimizerStateFile.read(beside: checkpoint, epoch: resumed.epoch, optimizer: kind.rawValue) else {
            if resumed.optimizer != kind.rawValue {
                Console.info("Warning: '\(checkpoint.path)' was trained with \(resumed.optimizer ?? "sgd"); \(kind.rawValue) starts afresh")
            }
            return
        }
        do { try trainer.restoreOptimizer(state) } catch { throw UserError("the optimizer state beside '\(checkpoint.path)': \(error)") }
    }

    /// The data folder and whether it is the shipped demo corpus.
    func resolveData() throws -> (URL, Bool) {
        if let data { return (URL(fileURLWithPath: data), false) }
        let local = URL(fileURLWithPath: "data/wikitext-2")
        if FileManager.default.fileExists(atPath: local.appendingPathComponent("train.txt").path) { return (local, false) }
        guard let demo = DemoCorpus.folder else { throw UserError("no --data given and the demo corpus is missing from this build") }
        Console.info("No --data and no ./data/wikitext-2: training a small model on the demo corpus.")
        return (demo, true)
    }
}

extension Trainer.OptimizerKind: ExpressibleByArgument {}
extension Tokenizer: ExpressibleByArgument {}
