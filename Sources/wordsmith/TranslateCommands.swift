import ArgumentParser
import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithModels
import WordsmithNN
import WordsmithTranslation

/// `wordsmith translate-train`: an encoder-decoder Transformer on tab-separated sentence pairs.
struct TranslateTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "translate-train",
        abstract: "Train an encoder-decoder Transformer to translate (Chinese -> English by default).",
        discussion: """
            Reads tab-separated sentence pairs (the Tatoeba cmn-eng export by default: English in \
            column 1, Chinese in column 2), splits them 90/5/5 with a fixed seed (pairs sharing \
            a target sentence stay in one split), and trains with label-smoothed cross-entropy, \
            Adam and the warmup-then-inverse-square-root schedule of "Attention Is All You Need". \
            Each epoch reports validation loss and BLEU (greedy); the checkpoint with the best \
            validation BLEU is kept. At the end the test set is translated (greedy and beam) and \
            scored, and the translations and loss/BLEU curves are written next to the checkpoint.
            Tokens: Chinese (or any text that is mostly CJK) by characters; other text as \
            lower-cased words with punctuation split off.
            """)

    @Option(help: "Tab-separated sentence pairs (default: data/translation/cmn-eng/cmn.txt or ../shared/data/translation/cmn-eng/cmn.txt).")
    var data: String?
    @Option(name: .customLong("source-column"), help: "1-based column of the source sentence.")
    var sourceColumn = 2
    @Option(name: .customLong("target-column"), help: "1-based column of the target sentence.")
    var targetColumn = 1
    @Flag(help: "Swap source and target (English -> Chinese on cmn-eng).")
    var reverse = false
    @Option(name: .customLong("d-model"), help: "Model width.")
    var dModel = 256
    @Option(help: "Attention heads.")
    var nhead = 4
    @Option(help: "Encoder layers and decoder layers (each).")
    var layers = 3
    @Option(help: "Feed-forward width.")
    var ff = 1024
    @Option(help: "Dropout.")
    var dropout: Float = 0.1
    @Flag(name: .customLong("tied"), help: "Share the target embedding and the output projection.")
    var tied = false
    @Flag(name: .customLong("norm-first"), help: "Pre-norm layers (LayerNorm before each sublayer).")
    var normFirst = false
    @Option(name: .customLong("batch-size"), help: "Sentence pairs per batch (grouped by length).")
    var batchSize = 64
    @Option(help: "Epochs.")
    var epochs = 20
    @Option(help: "Warmup steps of the learning-rate schedule.")
    var warmup = 1000
    @Option(name: .customLong("lr-scale"), help: "Factor of the schedule: lr = scale * d_model^-0.5 * min(step^-0.5, step * warmup^-1.5).")
    var lrScale: Float = 1
    @Option(name: .customLong("weight-decay"), help: "AdamW's decoupled weight decay (0: Adam).")
    var weightDecay: Float = 0
    @Option(name: .customLong("label-smoothing"), help: "Label smoothing of the cross-entropy.")
    var labelSmoothing: Float = 0.1
    @Option(help: "Gradient clipping (maximum total norm; 0 = none).")
    var clip: Float = 1
    @Option(name: .customLong("min-freq"), help: "Tokens seen fewer times in training become <unk>.")
    var minFreq = 1
    @Option(name: .customLong("max-minutes"), help: "Stop training after this many minutes (at the next step); the best checkpoint is still evaluated.")
    var maxMinutes: Double?
    @Option(name: .customLong("max-steps"), help: "Stop training after this many optimizer steps.")
    var maxSteps: Int?
    @Option(help: "Beam size for the final test translation (1 = greedy only).")
    var beam = 5
    @Option(help: "Seed of the data split and of the model's initialization.")
    var seed: UInt64 = 1234
    @Option(name: .customLong("log-interval"), help: "Report interval in steps.")
    var logInterval = 100
    @Option(help: "Where to save the model (safetensors).")
    var save = "translation.safetensors"
    @Flag(name: .customLong("dry-run"), help: "Run one training step and a short evaluation, to check the setup.")
    var dryRun = false
    @Option(help: ArgumentHelp("Continue a run from the model it saved: sizes, vocabularies, epochs done, the schedule's step, the best BLEU and Adam's state come from the files; --epochs stays the total.", valueName: "checkpoint"))
    var resume: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if warmup < 1 { throw ValidationError("--warmup must be at least 1") }
        if beam < 1 { throw ValidationError("--beam must be at least 1") }
        if !(lrScale > 0) { throw ValidationError("--lr-scale must be positive") }
        if !(0..<1).contains(labelSmoothing) { throw ValidationError("--label-smoothing must be in [0, 1)") }
        let probe = Seq2SeqConfig(sourceVocab: 1, targetVocab: 1, dModel: dModel, heads: nhead, encoderLayers: layers,
                                  decoderLayers: layers, feedForward: ff, dropout: dropout)
        if let problem = probe.problems.first { throw ValidationError(problem) }
    }

    /// A new model from the flags, or with --resume the saved one (its dropout generator
    /// moved to where the run left it) and where its run stood.
    func makeModel(corpus: ParallelCorpus, generator: Generator) throws -> (Seq2SeqTransformer, TranslationCheckpoint.TrainingState?) {
        guard let resume else {
            let config = Seq2SeqConfig(sourceVocab: corpus.sourceVocabulary.count, targetVocab: corpus.targetVocabulary.count,
                                       dModel: dModel, heads: nhead, encoderLayers: layers, decoderLayers: layers,
                                       feedForward: ff, dropout: dropout, normFirst: normFirst,
                                       pad: ParallelCorpus.pad, tiedTargetEmbedding: tied)
            return (Seq2SeqTransformer(config, generator: generator), nil)
        }
        let saved: TranslationCheckpoint
        do { saved = try TranslationCheckpoint.load(from: URL(fileURLWithPath: resume), generator: generator) } catch { throw UserError("\(error)") }
        guard saved.sourceVocabulary == corpus.sourceVocabulary, saved.targetVocabulary == corpus.targetVocabulary,
              saved.sourceTokenizer == corpus.sourceTokenizer, saved.targetTokenizer == corpus.targetTokenizer else {
            throw UserError("'\(resume)' was trained on other data or another split (vocabularies \(saved.sourceVocabulary.count)/\(saved.targetVocabulary.count), these \(corpus.sourceVocabulary.count)/\(corpus.targetVocabulary.count)); pass the --data, columns, --seed and --min-freq it was trained with")
        }
        guard let state = saved.training, state.restore(generator) else {
            throw UserError("'\(resume)' does not say where its training stood (not saved by `wordsmith translate-train`); start a new run instead")
        }
        return (saved.model, state)
    }

    func resolveData() throws -> String {
        if let data { return data }
        for candidate in ["data/translation/cmn-eng/cmn.txt", "../shared/data/translation/cmn-eng/cmn.txt"]
        where FileManager.default.fileExists(atPath: candidate) { return candidate }
        throw UserError("no --data given and no data/translation/cmn-eng/cmn.txt; pass --data with a tab-separated file of sentence pairs")
    }

    func run() throws {
        common.logBackend()
        let path = try resolveData()
        var options = ParallelCorpus.Options()
        (options.sourceColumn, options.targetColumn) = reverse ? (targetColumn, sourceColumn) : (sourceColumn, targetColumn)
        options.seed = seed
        options.minFrequency = minFreq
        let started = Date()
        let corpus: ParallelCorpus
        do { corpus = try ParallelCorpus.load(path, options: options) } catch let e as ParallelCorpusError { throw UserError("\(e)") }
        Console.info("Corpus \(path): columns \(options.sourceColumn) -> \(options.targetColumn); split (seed \(seed)) train \(corpus.train.count), valid \(corpus.valid.count), test \(corpus.test.count) pairs; vocabularies \(corpus.sourceVocabulary.count) source (\(corpus.sourceTokenizer.rawValue)), \(corpus.targetVocabulary.count) target (\(corpus.targetTokenizer.rawValue)) (\(String(format: "%.2f", Date().timeIntervalSince(started))) s)")

        let generator = Generator(seed: seed)
        let (model, resumed) = try makeModel(corpus: corpus, generator: generator)
        let c = model.config
        Console.info("Model: \(model.parameterCount) parameters (d_model \(c.dModel), \(c.heads) heads, \(c.encoderLayers)+\(c.decoderLayers) layers, ff \(c.feedForward)\(c.tiedTargetEmbedding ? ", tied" : "")\(c.normFirst ? ", pre-norm" : ""))")
        var checkpoint = TranslationCheckpoint(model: model, sourceVocabulary: corpus.sourceVocabulary, targetVocabulary: corpus.targetVocabulary,
                                               sourceTokenizer: corpus.sourceTokenizer, targetTokenizer: corpus.targetTokenizer)
        let trainer = TranslationTrainer(model: model, schedule: .inverseSquareRoot(dModel: c.dModel, warmup: warmup, scale: lrScale),
                                         weightDecay: weightDecay, clip: clip, labelSmoothing: labelSmoothing)
        let tokenization: BLEU.Tokenization = corpus.targetTokenizer == .characters ? .zh : .mteval13a
        let validPairs = dryRun ? Array(corpus.valid.prefix(16)) : corpus.valid
        let validBatches = TranslationBatch.batches(validPairs, batchSize: batchSize)
        let trainBatches = TranslationBatch.batches(corpus.train, batchSize: batchSize, seed: seed)
        let saveURL = URL(fileURLWithPath: save)
        let deadline = maxMinutes.map { started.addingTimeInterval($0 * 60) }

        InterruptFlag.shared.install()
        var rng = SplitMix64(seed: seed &+ 1)
        func shuffledBatches() -> [Int] {
            var order = Array(trainBatches.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            return order
        }
        var best: Double? = resumed?.bestBLEU
        let firstEpoch = (resumed?.epoch ?? 0) + 1
        if let resume, let resumed {
            guard firstEpoch <= epochs else {
                throw UserError("'\(resume)' has already trained \(resumed.epoch) epochs; pass --epochs larger than that to train on")
            }
            let resumeURL = URL(fileURLWithPath: resume)
            let adam = try OptimizerStateFile.read(beside: resumeURL, epoch: resumed.epoch, optimizer: "Adam")
            do { try trainer.resume(atStep: resumed.step, optimizerState: adam) } catch {
                throw UserError("the optimizer state beside '\(resume)': \(error)")
            }
            for _ in 1..<firstEpoch { _ = shuffledBatches() }  // the epochs done drew their batch orders
            Console.info(String(format: "Resuming after epoch %d (step %d), best valid BLEU %.2f", resumed.epoch, resumed.step, resumed.bestBLEU))
            // --save names the best model so far from the start, even if no later epoch beats it.
            if resumeURL.standardizedFileURL != saveURL.standardizedFileURL {
                checkpoint.training = resumed
                try OptimizerStateFile.write(trainer.optimizerState(), epoch: resumed.epoch, beside: saveURL)
                try checkpoint.write(to: saveURL)
            }
        }
        var history: [(epoch: Int, train: Double, valid: Double, bleu: Double)] = []
        var trainedTokens = 0, trainingSeconds = 0.0
        var stopReason: String?
        epochs: for epoch in firstEpoch...epochs {
            var order = shuffledBatches()
            if dryRun { order = Array(order.prefix(1)) }
            let epochStart = Date()
            var intervalStart = Date(), intervalLoss = 0.0, intervalTokens = 0, intervalSteps = 0
            var epochLoss = 0.0, epochTokens = 0
            for (n, index) in order.enumerated() {
                if InterruptFlag.shared.isRaised { stopReason = "Exiting from training early (Ctrl-C)"; break }
                if let deadline, Date() >= deadline { stopReason = "Time limit of \(maxMinutes ?? 0) minutes reached"; break }
                if let maxSteps, trainer.step >= maxSteps { stopReason = "Step limit \(maxSteps) reached"; break }
                let batch = trainBatches[index]
                let loss: Float
                do { loss = try trainer.trainStep(batch) } catch {
                    throw UserError("\(error)" + (best != nil ? " (in \(save))" : ""))
                }
                intervalLoss += Double(loss) * Double(batch.targetTokens)
                intervalTokens += batch.targetTokens
                intervalSteps += 1
                epochLoss += Double(loss) * Double(batch.targetTokens)
                epochTokens += batch.targetTokens
                if intervalSteps == logInterval || n == order.count - 1 {
                    let seconds = Date().timeIntervalSince(intervalStart)
                    Console.line(String(format: "| epoch %3d | %5d/%5d batches | lr %.2e | ms/batch %6.1f | tok/s %6.0f | loss %5.3f",
                                        epoch, n + 1, order.count, trainer.optimizer.learningRate, 1000 * seconds / Double(intervalSteps),
                                        Double(intervalTokens) / seconds, intervalLoss / Double(intervalTokens)))
                    let tokPerS = Double(epochTokens) / Date().timeIntervalSince(epochStart)
                    Console.progress(done: n + 1, total: order.count, tokensPerSecond: tokPerS,
                                     secondsLeft: Date().timeIntervalSince(epochStart) / Double(n + 1) * Double(order.count - n - 1))
                    (intervalStart, intervalLoss, intervalTokens, intervalSteps) = (Date(), 0, 0, 0)
                }
            }
            trainedTokens += epochTokens
            trainingSeconds += Date().timeIntervalSince(epochStart)
            if epochTokens == 0 { break }
            let validLoss = trainer.evaluate(validBatches)
            let (bleu, _) = TranslationTrainer.bleu(Translator(model: model), pairs: validPairs, batchSize: batchSize,
                                                    detokenize: checkpoint.decodeTarget, tokenization: tokenization)
            Console.line(String(repeating: "-", count: 96))
            Console.line(String(format: "| end of epoch %3d | time: %6.1fs | train loss %5.3f | valid loss %5.3f | valid ppl %7.2f | valid BLEU %5.2f",
                                epoch, Date().timeIntervalSince(epochStart), epochLoss / Double(epochTokens), validLoss, exp(validLoss), bleu.score))
            Console.line(String(repeating: "-", count: 96))
            history.append((epoch, epochLoss / Double(epochTokens), validLoss, bleu.score))
            if best == nil || bleu.score > best! {
                checkpoint.training = .init(epoch: epoch, step: trainer.step, bestBLEU: bleu.score, generator: generator)
                try OptimizerStateFile.write(trainer.optimizerState(), epoch: epoch, beside: saveURL)
                try checkpoint.write(to: saveURL)
                best = bleu.score
            }
            if stopReason != nil || dryRun { break epochs }
        }
        if let stopReason {
            Console.line(stopReason)
            if best != nil { Console.info("To continue later: the same command with --resume \(save)") }
        }
        guard best != nil else { throw UserError("training stopped before the first epoch finished; nothing was saved") }
        Console.info(String(format: "Trained %d steps, %d target tokens in %.0f s (%.0f target tokens/s)",
                            trainer.step, trainedTokens, trainingSeconds, Double(trainedTokens) / max(trainingSeconds, 1e-9)))

        // The best checkpoint on the test set: greedy, then beam search.
        let bestCheckpoint = try TranslationCheckpoint.load(from: saveURL)
        let translator = Translator(model: bestCheckpoint.model)
        let testPairs = dryRun ? Array(corpus.test.prefix(16)) : corpus.test
        let (greedy, greedyOut) = TranslationTrainer.bleu(translator, pairs: testPairs, batchSize: batchSize,
                                                          detokenize: bestCheckpoint.decodeTarget, tokenization: tokenization)
        Console.line(String(repeating: "=", count: 96))
        Console.line("| End of training | test \(greedy) (greedy)")
        var hypotheses = greedyOut
        if beam > 1 {
            let beamOut = testPairs.map { bestCheckpoint.decodeTarget(translator.beamSearch($0.source, beam: beam).tokens) }
            let scored = BLEU(hypotheses: beamOut, references: testPairs.map(\.targetText), tokenization: tokenization)
            Console.line("| End of training | test \(scored) (beam \(beam))")
            hypotheses = beamOut
        }
        Console.line(String(repeating: "=", count: 96))

        let base = saveURL.deletingPathExtension()
        let hypURL = base.appendingPathExtension("test.hyp.txt"), refURL = base.appendingPathExtension("test.ref.txt")
        let srcURL = base.appendingPathExtension("test.src.txt")
        try AtomicFile.write(Data((hypotheses.joined(separator: "\n") + "\n").utf8), to: hypURL)
        try AtomicFile.write(Data((testPairs.map(\.targetText).joined(separator: "\n") + "\n").utf8), to: refURL)
        try AtomicFile.write(Data((testPairs.map(\.sourceText).joined(separator: "\n") + "\n").utf8), to: srcURL)
        let lossSVG = base.appendingPathExtension("loss.svg"), bleuSVG = base.appendingPathExtension("bleu.svg")
        try AtomicFile.write(Data(TrainingCurve.svg(title: "Cross-entropy per target token", logScale: false, series: [
            .init(label: "train (label-smoothed)", color: "#1f77b4", values: history.map { ($0.epoch, $0.train) }),
            .init(label: "validation", color: "#d62728", values: history.map { ($0.epoch, $0.valid) }),
        ]).utf8), to: lossSVG)
        try AtomicFile.write(Data(TrainingCurve.svg(title: "Validation BLEU (greedy)", logScale: false, series: [
            .init(label: "validation BLEU", color: "#2ca02c", values: history.map { ($0.epoch, $0.bleu) }),
        ]).utf8), to: bleuSVG)
        Console.info("Saved \(save); test sources, references and translations in \(srcURL.lastPathComponent), \(refURL.lastPathComponent), \(hypURL.lastPathComponent); curves in \(lossSVG.lastPathComponent), \(bleuSVG.lastPathComponent)")
        Console.info("Try: wordsmith translate --checkpoint \(save) \"\(corpus.sourceTokenizer == .characters ? "你好。" : "Hello.")\"")
    }
}

/// `wordsmith translate`: sentences from the command line or stdin through a trained model.
struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate sentences with a model from `wordsmith translate-train`.",
        discussion: "Sentences come from the arguments, or one per line from stdin when there are none.")

    @Option(help: "Checkpoint from translate-train.")
    var checkpoint = "translation.safetensors"
    @Option(help: "Beam size (1 = greedy decoding).")
    var beam = 5
    @Option(name: .customLong("length-penalty"), help: "GNMT length penalty α: scores are log P / ((5 + length) / 6)^α.")
    var lengthPenalty = 0.6
    @Option(name: .customLong("show-attention"), help: "Write the cross-attention heat map of the translation to this SVG (with several sentences: FILE-1.svg, FILE-2.svg, ...).")
    var showAttention: String?
    @Argument(help: "Sentences to translate.")
    var sentences: [String] = []
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if beam < 1 { throw ValidationError("--beam must be at least 1") }
        if lengthPenalty < 0 { throw ValidationError("--length-penalty must not be negative") }
    }

    func run() throws {
        common.logBackend()
        let loaded: TranslationCheckpoint
        do { loaded = try TranslationCheckpoint.load(from: URL(fileURLWithPath: checkpoint)) } catch { throw UserError("\(error)") }
        let translator = Translator(model: loaded.model)
        var inputs = sentences
        if inputs.isEmpty {
            while let line = readLine() { inputs.append(line) }
        }
        for (n, text) in inputs.enumerated() {
            let tokens = loaded.sourceTokenizer.tokenize(text)
            if tokens.isEmpty { print(""); continue }
            let ids = ParallelCorpus.encode(tokens, loaded.sourceVocabulary)
            let unknown = zip(tokens, ids).filter { $0.1 == ParallelCorpus.unk }.map(\.0)
            if !unknown.isEmpty {
                Console.info("note: not in the source vocabulary, read as <unk>: \(unknown.joined(separator: " "))")
            }
            let h = translator.beamSearch(ids, beam: beam, lengthPenalty: lengthPenalty, withAttention: showAttention != nil)
            print(loaded.decodeTarget(h.tokens))
            if let showAttention {
                let url = inputs.count == 1 ? URL(fileURLWithPath: showAttention)
                    : URL(fileURLWithPath: showAttention).deletingPathExtension().appendingPathExtension("\(n + 1).svg")
                let target = h.tokens.map { loaded.targetVocabulary.word($0) } + (h.finished ? ["<eos>"] : [])
                let svg = AttentionHeatmap.svg(source: tokens + ["<eos>"], target: target, weights: h.attention)
                try AtomicFile.write(Data(svg.utf8), to: url)
                Console.info("attention map: \(url.path)")
            }
        }
    }
}

/// `wordsmith bleu`: corpus BLEU of a hypothesis file against a reference file.
struct Bleu: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Corpus BLEU-4 of translations against references, as sacreBLEU computes it.",
        discussion: "One sentence per line in each file. Default tokenization 13a (sacreBLEU's default); zh splits CJK characters; none splits on spaces.")

    @Option(help: "Reference translations, one per line.")
    var ref: String
    @Option(help: "System translations, one per line, aligned with --ref.")
    var hyp: String
    @Option(help: "13a, zh or none.")
    var tokenize: BLEU.Tokenization = .mteval13a

    func run() throws {
        func lines(_ path: String) throws -> [String] {
            guard FileManager.default.fileExists(atPath: path) else { throw UserError("'\(path)' does not exist") }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw UserError("cannot read '\(path)' as UTF-8 text") }
            var result = text.components(separatedBy: "\n")
            if result.last == "" { result.removeLast() }
            return result
        }
        let refs = try lines(ref), hyps = try lines(hyp)
        guard refs.count == hyps.count else {
            throw UserError("'\(hyp)' has \(hyps.count) lines but '\(ref)' has \(refs.count); they must be aligned line by line")
        }
        guard !refs.isEmpty else { throw UserError("'\(ref)' is empty") }
        print(BLEU(hypotheses: hyps, references: refs, tokenization: tokenize))
    }
}

extension BLEU.Tokenization: ExpressibleByArgument {}
