import Foundation
import Testing
import WordsmithEngine
import WordsmithLM
import WordsmithModels
import WordsmithNN

@Suite("Training, checkpoints and generation")
struct LanguageModelTests {
    static let text = String(repeating: "the cat sat on the mat . the dog sat on the log .\n", count: 40)

    func tinyModel(_ kind: String, vocabulary: Int, seed: UInt64 = 1) -> LanguageModel {
        LanguageModel(LanguageModelConfig(kind: kind, ntoken: vocabulary, emsize: 16, nhid: 16, nlayers: 2, nhead: 2, dropout: 0.1),
                      generator: Generator(seed: seed))
    }

    @Test("a tiny corpus trains for a few batches and its loss falls", arguments: ["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "Transformer"])
    func lossFalls(kind: String) throws {
        let c = try Corpus(folder: try makeCorpus(train: Self.text, valid: Self.text, test: Self.text))
        let model = tinyModel(kind, vocabulary: c.vocabulary.count)
        let valid = BatchedStream(c.valid, batchSize: 4)
        let before = Trainer.evaluate(model, valid, bptt: 8)
        // AdamW: SGD at the example's lr sits on a plateau for a while on so small a corpus.
        let trainer = Trainer(model: model, learningRate: 1e-2, clip: 0.5, bptt: 8, optimizer: .adamw)
        for _ in 0..<6 { try trainer.trainEpoch(BatchedStream(c.train, batchSize: 4), logInterval: 1000) { _ in } }
        let after = Trainer.evaluate(model, valid, bptt: 8)
        #expect(after < before * 0.6, "\(kind): validation loss \(before) -> \(after)")
    }

    @Test("save -> load -> evaluate gives the identical loss", arguments: ["LSTM", "Transformer"])
    func checkpointRoundTrip(kind: String) throws {
        // A word starting with U+FEFF, as WikiText-2 has: its vocabulary must survive the file.
        let train = Self.text + "the \u{FEFF}cat sat .\n"
        let c = try Corpus(folder: try makeCorpus(train: train, valid: Self.text, test: Self.text))
        #expect(c.vocabulary.id("\u{FEFF}cat") != nil)
        let model = tinyModel(kind, vocabulary: c.vocabulary.count, seed: 3)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint(model: model, vocabulary: c.vocabulary, tokenizer: .word).write(to: url)
        let loaded = try Checkpoint.load(from: url)
        #expect(loaded.vocabulary == c.vocabulary)
        #expect(loaded.model.config == model.config)
        let data = BatchedStream(c.test, batchSize: 3)
        #expect(Trainer.evaluate(loaded.model, data, bptt: 7) == Trainer.evaluate(model, data, bptt: 7))
        // The tensors carry PyTorch state_dict names.
        let names = try SafeTensors(contentsOf: url).names
        #expect(names.contains(kind == "LSTM" ? "rnn.weight_ih_l0" : "encoder.layers.0.self_attn.in_proj_weight"))
        #expect(names.contains("decoder.weight"))
    }

    @Test("a plain PyTorch state_dict loads with the corpus vocabulary and inferred sizes")
    func plainStateDict() throws {
        let c = try Corpus(folder: try makeCorpus(train: Self.text, valid: Self.text, test: Self.text))
        let model = tinyModel("GRU", vocabulary: c.vocabulary.count)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("plain-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.module.safetensors().write(to: url)  // no Wordsmith metadata
        #expect(throws: Checkpoint.LoadError.self) { try Checkpoint.load(from: url) }
        let loaded = try Checkpoint.load(from: url, corpusVocabulary: c.vocabulary)
        #expect(loaded.model.config.kind == "GRU" && loaded.model.config.nhid == 16 && loaded.model.config.nlayers == 2)
        let data = BatchedStream(c.test, batchSize: 2)
        #expect(Trainer.evaluate(loaded.model, data, bptt: 5) == Trainer.evaluate(model, data, bptt: 5))
    }

    @Test func checkpointErrors() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/model.safetensors")
        #expect(throws: Checkpoint.LoadError.self) { try Checkpoint.load(from: missing) }
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("junk-\(UUID()).safetensors")
        try Data("not a checkpoint at all".utf8).write(to: junk)
        do {
            _ = try Checkpoint.load(from: junk)
            Issue.record("loaded junk")
        } catch {
            #expect("\(error)".contains("is not a valid checkpoint"))
        }
    }

    @Test("Transformer generation with the key/value cache equals re-running the prefix")
    func cachedGenerationMatches() {
        let model = tinyModel("Transformer", vocabulary: 30, seed: 5)
        func run(cache: Bool) -> [Int32] {
            var out: [Int32] = []
            TextGenerator(model: model, sampler: Sampler(temperature: 1), useCache: cache)
                .generate(prompt: [3, 7, 1], count: 40, generator: Generator(seed: 9)) { out.append($0) }
            return out
        }
        let cached = run(cache: true)
        #expect(cached.count == 40)
        #expect(cached == run(cache: false))
    }

    @Test func incrementalScoresEqualFullScores() throws {
        guard case .transformer(let m) = tinyModel("Transformer", vocabulary: 20, seed: 6) else { return }
        m.eval()
        let tokens: [Int32] = [1, 4, 9, 2, 19]
        let full = m.logits(IndexTensor(shape: [5, 1], values: tokens)).scalars
        let caches = m.makeCaches()
        var stepwise: [Float] = m.step(IndexTensor(shape: [2, 1], values: Array(tokens[0..<2])), caches: caches).scalars
        for t in tokens[2...] { stepwise += m.step(IndexTensor(shape: [1, 1], values: [t]), caches: caches).scalars }
        #expect(zip(full, stepwise).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    @Test("evaluation scoring several chunks per product equals the example's chunk-by-chunk loss",
          arguments: ["LSTM", "Transformer"])
    func groupedEvaluationEqualsChunkByChunk(kind: String) {
        // 4,000 tokens at batch 10, bptt 35: 11 full chunks and a short one, in groups of two.
        let g = Generator(seed: 4)
        let stream = (0..<4_000).map { _ in Int32(g.int(below: 37)) }
        let data = BatchedStream(stream, batchSize: 10)
        let model = tinyModel(kind, vocabulary: 37)
        var reports: [[Int]] = []
        let grouped = Trainer.evaluate(model, data, bptt: 35) { reports.append([$0, $1]) }
        #expect(reports == (1...12).map { [$0, 12] })
        model.module.eval()
        let reference = withNoGrad {
            var state = model.initialState(batch: 10), total = 0.0
            for i in data.chunkStarts(bptt: 35) {
                let (input, targets) = data.chunk(at: i, bptt: 35)
                let (loss, next) = model.loss(input, targets: targets, state)
                state = next
                total += Double(input.shape[0]) * Double(loss.item)
            }
            return total / Double(data.rows - 1)
        }
        model.module.train()
        #expect(Array(data.chunkStarts(bptt: 35)).count == 12)
        #expect(abs(grouped - reference) <= 1e-6 * reference, "\(grouped) vs \(reference)")
    }

    @Test func samplerRestrictions() {
        let scores: [Float] = [0.1, 3.0, 2.9, -1]
        let g = Generator(seed: 1)
        scores.withUnsafeBufferPointer { p in
            for _ in 0..<50 { #expect(Sampler(topK: 1).sample(p.baseAddress!, count: 4, generator: g) == 1) }
            let draws = (0..<400).map { _ in Sampler(topP: 0.9).sample(p.baseAddress!, count: 4, generator: g) }
            #expect(Set(draws) == [1, 2])  // 0 and 3 fall outside the top 90% of the mass
        }
    }

    /// Unrestricted sampling draws in proportion to exp(score / temperature).
    @Test func samplerFrequenciesFollowTheSoftmax() {
        let scores: [Float] = [0, Foundation.log(3), -50]  // probabilities 1/4, 3/4, ~0
        let g = Generator(seed: 2)
        scores.withUnsafeBufferPointer { p in
            for (temperature, expected) in [(Float(1), 0.75), (0.5, 0.9)] {  // at T = 0.5: 9/(1+9)
                let draws = (0..<4000).map { _ in Sampler(temperature: temperature).sample(p.baseAddress!, count: 3, generator: g) }
                let share = Double(draws.filter { $0 == 1 }.count) / 4000
                #expect(abs(share - expected) < 0.03, "temperature \(temperature): \(share)")
                #expect(!draws.contains(2))
            }
        }
    }

    @Test func nonFiniteLossStopsTraining() throws {
        let c = try Corpus(folder: try makeCorpus(train: Self.text, valid: Self.text, test: Self.text))
        let model = tinyModel("RNN_RELU", vocabulary: c.vocabulary.count)
        let trainer = Trainer(model: model, learningRate: 1e30, clip: 1e30, bptt: 8)
        #expect(throws: Trainer.TrainingError.self) {
            try trainer.trainEpoch(BatchedStream(c.train, batchSize: 4), logInterval: 1000) { _ in }
        }
    }

    @Test func sentenceLogProbabilitiesCoverEveryLine() throws {
        let c = try Corpus(folder: try makeCorpus(train: Self.text, valid: Self.text, test: "the cat sat .\nthe dog .\n"))
        let model = tinyModel("LSTM", vocabulary: c.vocabulary.count)
        let rows = Trainer.sentenceLogProbabilities(model, c.test, eos: c.vocabulary.id("<eos>")!, bptt: 3)
        #expect(rows.map(\.tokens) == [4, 4])  // only the very first token of the stream is not predicted
        #expect(rows.allSatisfy { $0.logProb < 0 })
    }
}

@Suite("Repeatability")
struct RepeatabilityTests {
    @Test("the same seed gives bit-for-bit the same training run", arguments: ["LSTM", "Transformer"])
    func sameSeedSameRun(kind: String) throws {
        let c = try Corpus(folder: try makeCorpus(train: LanguageModelTests.text, valid: LanguageModelTests.text, test: LanguageModelTests.text))
        func run() throws -> [Float] {
            let model = LanguageModel(LanguageModelConfig(kind: kind, ntoken: c.vocabulary.count, emsize: 16, nhid: 16, dropout: 0.3),
                                      generator: Generator(seed: 1111))
            let trainer = Trainer(model: model, learningRate: 5, clip: 0.25, bptt: 6)
            try trainer.trainEpoch(BatchedStream(c.train, batchSize: 4), logInterval: 1000) { _ in }
            return model.module.parameters().flatMap(\.scalars)
        }
        let first = try run(), second = try run()
        #expect(first == second)
    }

    /// `wordsmith train --eval-interval` evaluates between updates: that must not change the
    /// run (evaluation draws no random numbers and keeps its own hidden state).
    @Test("evaluating within an epoch leaves the training run bit-for-bit the same", arguments: ["LSTM", "Transformer"])
    func evaluationsDoNotChangeTraining(kind: String) throws {
        let c = try Corpus(folder: try makeCorpus(train: LanguageModelTests.text, valid: LanguageModelTests.text, test: LanguageModelTests.text))
        func run(evaluateEvery interval: Int?) throws -> (parameters: [Float], evaluations: [Int]) {
            let model = LanguageModel(LanguageModelConfig(kind: kind, ntoken: c.vocabulary.count, emsize: 16, nhid: 16, dropout: 0.3),
                                      generator: Generator(seed: 1111))
            let trainer = Trainer(model: model, learningRate: 5, clip: 0.25, bptt: 6)
            let valid = BatchedStream(c.valid, batchSize: 3)
            var evaluations: [Int] = []
            try trainer.trainEpoch(BatchedStream(c.train, batchSize: 4), logInterval: 1000, stepInterval: interval,
                                   afterStep: { done in
                                       evaluations.append(done)
                                       #expect(Trainer.evaluate(model, valid, bptt: 6).isFinite)
                                   }) { _ in }
            return (model.module.parameters().flatMap(\.scalars), evaluations)
        }
        let plain = try run(evaluateEvery: nil), evaluated = try run(evaluateEvery: 3)
        let batches = Array(BatchedStream(c.train, batchSize: 4).chunkStarts(bptt: 6)).count
        #expect(plain.evaluations.isEmpty)
        #expect(evaluated.evaluations == Array(stride(from: 3, through: batches, by: 3)))
        #expect(plain.parameters == evaluated.parameters)
    }
}

@Suite("Fused cross-entropy at vocabulary scale")
struct LargeVocabularyTests {
    /// Large enough that the rows are split over the cores (each chunk sums its own bias
    /// gradient): the fused output layer + loss still equals the two separate ops.
    @Test func fusedOutputLayerEqualsSeparateOpsWhenSplitOverCores() {
        let g = Generator(seed: 8)
        let rows = 70, hidden = 24, classes = 5_003
        let x = Tensor.uniform([rows, hidden], low: -1, high: 1, generator: g, requiresGrad: true)
        let w = Tensor.uniform([classes, hidden], low: -0.5, high: 0.5, generator: g, requiresGrad: true)
        let b = Tensor.uniform([classes], low: -0.5, high: 0.5, generator: g, requiresGrad: true)
        let targets = (0..<rows).map { _ in Int32(g.int(below: classes)) }
        let fused = linearCrossEntropy(x, weight: w, bias: b, targets: targets)
        fused.backward()
        let grads = [x, w, b].map { $0.grad!.scalars }
        for p in [x, w, b] { p.zeroGrad() }
        let plain = crossEntropy(linear(x, weight: w, bias: b), targets: targets)
        plain.backward()
        #expect(abs(fused.item - plain.item) < 1e-5 * max(1, abs(plain.item)))
        for (got, p) in zip(grads, [x, w, b]) {
            let want = p.grad!.scalars
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst < 1e-6, "largest gradient difference \(worst)")
        }
    }

    /// Without a gradient the fused op walks the classes in cache-sized blocks on each core
    /// (online softmax) instead of holding all the scores: the same loss as the separate ops,
    /// with label smoothing, ignored rows, no bias, and a large row score in a later block.
    @Test(arguments: [(300, Float(0), true), (300, 0.1, true), (1, 0, true), (300, 0, false)])
    func evaluationLossInBlocksEqualsSeparateOps(rows: Int, smoothing: Float, withBias: Bool) {
        let g = Generator(seed: 9)
        let hidden = 24, classes = 5_003  // 300 rows: blocks of 864 classes, two per core and a tail
        let x = Tensor.uniform([rows, hidden], low: -1, high: 1, generator: g)
        let w = Tensor.uniform([classes, hidden], low: -0.5, high: 0.5, generator: g)
        w.data[4_000 * hidden] = 40  // row 0 scores ~40 at class 4,000: the running max moves
        x.data[0] = 1
        let b = withBias ? Tensor.uniform([classes], low: -0.5, high: 0.5, generator: g) : nil
        var targets = (0..<rows).map { _ in Int32(g.int(below: classes)) }
        if rows > 2 { targets[2] = -100 }
        let blocked = withNoGrad {
            linearCrossEntropy(x, weight: w, bias: b, targets: targets, ignoreIndex: -100, labelSmoothing: smoothing)
        }
        let plain = crossEntropy(linear(x, weight: w, bias: b), targets: targets, ignoreIndex: -100,
                                 labelSmoothing: smoothing)
        #expect(abs(blocked.item - plain.item) < 1e-5 * max(1, abs(plain.item)), "\(blocked.item) vs \(plain.item)")
    }

    @Test func stableOver33kClassesWithExtremeLogits() {
        let classes = 33_278, rows = 3
        let g = Generator(seed: 4)
        var values = (0..<(rows * classes)).map { _ in g.uniform(-30, 30) }
        values[5] = 1000; values[classes + 7] = -1000; values[2 * classes] = 500
        let logits = Tensor(shape: [rows, classes], values: values, requiresGrad: true)
        let targets: [Int32] = [5, 9, 33_277]
        let loss = crossEntropy(logits, targets: targets)
        var reference = 0.0
        for r in 0..<rows {
            let row = values[(r * classes)..<((r + 1) * classes)].map(Double.init)
            let m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            reference += lse - row[Int(targets[r])]
        }
        #expect(loss.item.isFinite)
        #expect(abs(Double(loss.item) - reference / 3) < 1e-3 * max(1, reference / 3))
        loss.backward()
        let grad = logits.grad!.scalars
        #expect(grad.allSatisfy { $0.isFinite })
        // Each row of the gradient sums to zero (softmax minus one-hot).
        for r in 0..<rows { #expect(abs(grad[(r * classes)..<((r + 1) * classes)].reduce(0, +)) < 1e-5) }
    }
}
