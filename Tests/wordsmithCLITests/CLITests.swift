import Foundation
import Testing
import WordsmithLM

/// Runs the built `wordsmith` executable and checks exit status and messages of every
/// error case, as a user would meet them.
struct CLIMissing: Error, CustomStringConvertible {
    var description: String { "build the wordsmith executable first (swift build)" }
}

enum CLI {
    static let binary: URL? = {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["WORDSMITH_BIN"] { candidates.append(URL(fileURLWithPath: env)) }
        let bundle = Bundle.main.bundleURL
        candidates += [bundle.appendingPathComponent("wordsmith"), bundle.deletingLastPathComponent().appendingPathComponent("wordsmith")]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/wordsmith"))
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var output: String { stdout + stderr }
    }

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> Result {
        let process = Process()
        guard let binary else { throw CLIMissing() }
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    static func corpus(_ text: String = String(repeating: "the cat sat on the mat . the dog sat on the log .\n", count: 30)) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["train.txt", "valid.txt", "test.txt"] { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }
}

@Suite("wordsmith command line", .enabled(if: CLI.binary != nil, "the wordsmith executable is not built"))
struct CLITests {
    func expectFailure(_ args: [String], mentions: String, in dir: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(args, in: dir)
        #expect(r.status != 0, "exit status 0 for \(args)", sourceLocation: sourceLocation)
        #expect(r.output.contains(mentions), "output for \(args) lacks '\(mentions)':\n\(r.output)", sourceLocation: sourceLocation)
    }

    /// `bench --json` prints one JSON object with the documented keys and plausible values.
    @Test func benchPrintsJSON() throws {
        let text = String(repeating: "the cat sat on the mat . the dog sat on the log .\n", count: 200)
        let dir = try CLI.corpus(text)
        let r = try CLI.run(["bench", "--model", "LSTM", "--data", dir.path, "--batches", "1", "--words", "5", "--json"])
        #expect(r.status == 0, "\(r.output)")
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let values = try #require(object, "not a JSON object: \(r.stdout)")
        for key in ["train_tokens_per_s", "eval_tokens_per_s", "generate_tokens_per_s", "peak_rss_bytes",
                    "achieved_gflop_per_s", "limit_gflop_per_s", "fraction_of_limit"] {
            let v = try #require(values[key] as? Double, "missing \(key)")
            #expect(v > 0, "\(key) = \(v)")
        }
        #expect(values["vocabulary"] as? Int == 9)  // 8 words and <eos>
        // Where it ran, so that a saved result says so.
        #expect(["avx512", "avx2", "generic"].contains(values["kernels"] as? String ?? ""))
        #expect((values["cores"] as? Int ?? 0) >= 1)
        #expect(!(values["gemm_backend"] as? String ?? "").isEmpty)
    }

    @Test func helpListsTheCommands() throws {
        let r = try CLI.run(["--help"])
        #expect(r.status == 0)
        for c in ["train", "evaluate", "generate"] { #expect(r.stdout.contains(c)) }
        let train = try CLI.run(["train", "--help"])
        for flag in ["--emsize", "--nhid", "--nlayers", "--lr", "--clip", "--epochs", "--batch-size", "--bptt", "--dropout",
                     "--tied", "--seed", "--log-interval", "--save", "--nhead", "--dry-run", "--optimizer"] {
            #expect(train.stdout.contains(flag), "train --help lacks \(flag)")
        }
    }

    @Test("--dry-run trains one batch of each model kind", arguments: ["LSTM", "GRU", "RNN_TANH", "RNN_RELU", "Transformer"])
    func dryRun(kind: String) throws {
        let dir = try CLI.corpus()
        let save = dir.appendingPathComponent("m.safetensors").path
        let r = try CLI.run(["train", "--data", dir.path, "--model", kind, "--emsize", "16", "--nhid", "16", "--bptt", "5",
                             "--batch-size", "4", "--dry-run", "--save", save])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.stdout.contains("| end of epoch   1 |") && r.stdout.contains("| End of training | test loss"))
        #expect(FileManager.default.fileExists(atPath: save))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.curve.svg").path))
    }

    @Test func trainEvaluateGenerateRoundTrip() throws {
        let dir = try CLI.corpus()
        let save = dir.appendingPathComponent("m.safetensors").path
        let train = try CLI.run(["train", "--data", dir.path, "--emsize", "16", "--nhid", "16", "--batch-size", "4",
                                 "--bptt", "6", "--epochs", "2", "--save", save])
        #expect(train.status == 0, "\(train.output)")
        let eval = try CLI.run(["evaluate", "--checkpoint", save, "--data", dir.path,
                                "--sentence-log-probs", dir.appendingPathComponent("lp.tsv").path])
        #expect(eval.status == 0 && eval.stdout.contains("| valid loss") && eval.stdout.contains("| test ppl"), "\(eval.output)")
        #expect(try String(contentsOf: dir.appendingPathComponent("lp.tsv"), encoding: .utf8).hasPrefix("tokens\tlog_prob\n"))
        let gen = try CLI.run(["generate", "--checkpoint", save, "--words", "30", "--prompt", "the cat", "--top-k", "3",
                               "--data", dir.path])  // as the example's generate.py is called; not needed
        #expect(gen.stderr.contains("--data is not needed"))
        #expect(gen.status == 0, "\(gen.output)")
        #expect(gen.stdout.hasPrefix("the cat ") && gen.stdout.split(whereSeparator: \.isWhitespace).count >= 10)
        try expectFailure(["generate", "--checkpoint", save, "--prompt", "the zebra"], mentions: "not in the model's vocabulary: 'zebra'")
        let other = try CLI.corpus("a completely different corpus with other words\n")
        try expectFailure(["evaluate", "--checkpoint", save, "--data", other.path], mentions: "vocabulary")
    }

    /// Two epochs straight and one epoch then `--resume` for the second give the same model, bit
    /// for bit, dropout included: the file carries the weights, the epochs done, the learning
    /// rate, the best validation loss and the random generator's position, and AdamW's moment
    /// estimates go in a file beside it.
    @Test(arguments: [["--lr", "20", "--clip", "1"], ["--optimizer", "adamw", "--lr", "0.01"]])
    func resumeContinuesARun(optimizerFlags: [String]) throws {
        // 16 words in varied orders: the second epoch improves on the first (so it is saved)
        // by a wide margin with both optimizers.
        let words = "the a cat dog sat ran on under mat log big small red blue bird fish".split(separator: " ")
        let lines = (0..<120).map { i in (1...6).map { k in String(words[(i * k * 7 + k * 3 + i) % words.count]) }.joined(separator: " ") + " ." }
        let dir = try CLI.corpus(lines.joined(separator: "\n") + "\n")
        let straight = dir.appendingPathComponent("straight.safetensors").path
        let resumed = dir.appendingPathComponent("resumed.safetensors").path
        let flags = ["train", "--data", dir.path, "--emsize", "16", "--nhid", "16", "--batch-size", "4", "--bptt", "6",
                     "--dropout", "0.2"] + optimizerFlags
        let adamw = optimizerFlags.contains("adamw")
        let two = try CLI.run(flags + ["--epochs", "2", "--save", straight])
        #expect(two.status == 0, "\(two.output)")
        let one = try CLI.run(flags + ["--epochs", "1", "--save", resumed])
        #expect(one.status == 0, "\(one.output)")
        let second = try CLI.run(flags + ["--epochs", "2", "--resume", resumed, "--save", resumed])
        #expect(second.status == 0, "\(second.output)")
        #expect(second.stderr.contains("Resuming after epoch 1"), "\(second.stderr)")
        #expect(second.stdout.contains("| end of epoch   2 |") && !second.stdout.contains("| end of epoch   1 |"))
        let state = try #require(try Checkpoint.load(from: URL(fileURLWithPath: resumed)).training)
        #expect(state.epoch == 2 && state.learningRate == (adamw ? 0.01 : 20) && state.optimizer == (adamw ? "adamw" : "sgd"))
        #expect(state.generator?.count == 4)
        #expect(FileManager.default.contents(atPath: straight) == FileManager.default.contents(atPath: resumed))
        let sidecars = [straight, resumed].map { Checkpoint.optimizerStateURL(for: URL(fileURLWithPath: $0)).path }
        #expect(FileManager.default.fileExists(atPath: sidecars[1]) == adamw)
        #expect(FileManager.default.contents(atPath: sidecars[0]) == FileManager.default.contents(atPath: sidecars[1]))
        #expect(!second.stderr.contains("Warning"), "\(second.stderr)")
        func testLine(_ out: String) -> Substring? { out.split(separator: "\n").first { $0.contains("End of training") } }
        #expect(testLine(two.stdout) != nil && testLine(two.stdout) == testLine(second.stdout))

        // Resumed into another file with a learning rate too high to improve on the saved model:
        // the other file still ends up with that best model.
        let elsewhere = dir.appendingPathComponent("elsewhere.safetensors").path
        let worse = try CLI.run(flags + ["--epochs", "3", "--resume", resumed, "--save", elsewhere, "--lr", "1e6"])
        // (AdamW's loss turns NaN at this rate, which stops the run with an error.)
        #expect(worse.status == 0 || worse.stderr.contains("the last good model is in \(elsewhere)"), "\(worse.output)")
        let kept = try #require(try Checkpoint.load(from: URL(fileURLWithPath: elsewhere)).training)
        #expect(kept.epoch >= 2)

        if adamw {  // without its state file AdamW starts afresh, with a warning
            try FileManager.default.removeItem(atPath: sidecars[1])
            let fresh = try CLI.run(flags + ["--epochs", "3", "--resume", resumed, "--save", dir.appendingPathComponent("fresh.safetensors").path])
            #expect(fresh.status == 0 && fresh.stderr.contains("moment estimates start from zero"), "\(fresh.output)")
        }

        // (Each with a --save in the test's folder, so that a failing test leaves nothing behind.)
        let scratch = ["--save", dir.appendingPathComponent("scratch.safetensors").path]
        try expectFailure(flags + ["--epochs", "2", "--resume", resumed] + scratch, mentions: "has already trained 2 epochs; pass --epochs larger")
        let other = try CLI.corpus("a completely different corpus with other words\n")
        try expectFailure(["train", "--data", other.path, "--epochs", "3", "--resume", resumed] + scratch, mentions: "was trained on another corpus")
        try expectFailure(flags + ["--resume", resumed, "--embeddings", straight] + scratch, mentions: "cannot be combined")
    }

    /// With `<unk>` in the vocabulary (as in WikiText-2) an unknown prompt word is read as
    /// `<unk>`, and the user is told so on stderr.
    @Test func unknownPromptWordIsReadAsUnkWithAWarning() throws {
        let dir = try CLI.corpus(String(repeating: "the cat sat on the <unk> . the dog sat on the log .\n", count: 30))
        let save = dir.appendingPathComponent("m.safetensors").path
        let train = try CLI.run(["train", "--data", dir.path, "--emsize", "8", "--nhid", "8", "--batch-size", "4",
                                 "--bptt", "6", "--epochs", "1", "--save", save])
        #expect(train.status == 0, "\(train.output)")
        let gen = try CLI.run(["generate", "--checkpoint", save, "--words", "5", "--prompt", "the zebra sat on a"])
        #expect(gen.status == 0, "\(gen.output)")
        #expect(gen.stdout.hasPrefix("the zebra sat on a "))
        #expect(gen.stderr.contains("Warning: prompt words not in the model's vocabulary: 'zebra', 'a'; read as <unk>"), "\(gen.stderr)")
    }

    @Test func dataErrors() throws {
        try expectFailure(["train", "--data", "/nonexistent/folder"], mentions: "does not exist")
        let dir = try CLI.corpus()
        try FileManager.default.removeItem(at: dir.appendingPathComponent("valid.txt"))
        try expectFailure(["train", "--data", dir.path], mentions: "valid.txt' is missing")
        let empty = try CLI.corpus()
        try Data().write(to: empty.appendingPathComponent("train.txt"))
        try expectFailure(["train", "--data", empty.path], mentions: "has no tokens")
    }

    @Test func flagErrors() throws {
        let dir = try CLI.corpus()
        try expectFailure(["train", "--data", dir.path, "--tied", "--emsize", "10", "--nhid", "12"], mentions: "--tied needs --emsize equal to --nhid")
        try expectFailure(["train", "--data", dir.path, "--model", "Transformer", "--emsize", "10", "--nhead", "3"], mentions: "divisible by --nhead")
        try expectFailure(["train", "--data", dir.path, "--bptt", "0"], mentions: "--bptt must be at least 1")
        // The example's own spelling, --batch_size, is accepted too.
        try expectFailure(["train", "--data", dir.path, "--batch_size", "0"], mentions: "--batch-size must be at least 1")
        // The example's accelerator and ONNX flags are refused with a reason.
        try expectFailure(["train", "--data", dir.path, "--cuda"], mentions: "Wordsmith trains on the CPU")
        try expectFailure(["train", "--data", dir.path, "--onnx-export", "m.onnx"], mentions: "--onnx-export is not supported")
        try expectFailure(["train", "--data", dir.path, "--model", "LSTMX"], mentions: "unknown --model")
        try expectFailure(["train", "--data", dir.path, "--eval-interval", "0"], mentions: "--eval-interval must be at least 1")
        try expectFailure(["train", "--data", dir.path, "--eval-window", "20"], mentions: "--eval-window needs --eval-interval")
    }

    /// --eval-interval with --eval-window evaluates in the epoch's last batches and reports the
    /// mean; the run itself ends exactly as one without them.
    @Test func evaluationsWithinTheEpochLeaveTheRunUnchanged() throws {
        let dir = try CLI.corpus()
        func train(_ extra: [String]) throws -> CLI.Result {
            let r = try CLI.run(["train", "--data", dir.path, "--emsize", "16", "--nhid", "16", "--batch-size", "4", "--bptt", "5",
                                 "--epochs", "1", "--save", dir.appendingPathComponent("m\(extra.count).safetensors").path] + extra)
            #expect(r.status == 0, "\(r.output)")
            return r
        }
        let plain = try train([]), evaluated = try train(["--eval-interval", "5", "--eval-window", "12"])
        // 450 words in 4 rows of 112: 22 chunks of 5 (and a last one of 1). Evaluations after 15
        // and 20 updates (those within the last 12 of the 22), then the epoch's end: a window of 3.
        let lines = evaluated.stdout.split(separator: "\n")
        #expect(lines.filter { $0.contains("batches | valid loss") }.map { $0.split(separator: "|")[1] }
                == ["    15/   22 batches ", "    20/   22 batches "], "\(evaluated.stdout)")
        #expect(lines.contains { $0.contains("| epoch   1 window | 3 evaluations in the last 12 batches |") }, "\(evaluated.stdout)")
        func endOfEpoch(_ r: CLI.Result) -> [String] {
            r.stdout.split(separator: "\n").filter { $0.contains("valid ppl") && $0.contains("end of epoch") || $0.contains("test ppl") }
                .map { String($0.split(separator: "|").last ?? "") }
        }
        #expect(endOfEpoch(plain).count == 2)
        #expect(endOfEpoch(plain) == endOfEpoch(evaluated))
    }

    @Test func nonFiniteLossStopsWithAMessage() throws {
        let dir = try CLI.corpus()
        try expectFailure(["train", "--data", dir.path, "--model", "RNN_RELU", "--lr", "1e30", "--clip", "1e30",
                           "--emsize", "8", "--nhid", "8", "--batch-size", "4", "--bptt", "5", "--save",
                           dir.appendingPathComponent("m.safetensors").path], mentions: "the loss became")
    }

    @Test func checkpointErrors() throws {
        let dir = try CLI.corpus()
        try expectFailure(["generate", "--checkpoint", "/nonexistent/m.safetensors"], mentions: "does not exist")
        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data("garbage".utf8).write(to: junk)
        try expectFailure(["generate", "--checkpoint", junk.path], mentions: "not a valid checkpoint")
    }

    @Test func verboseNamesTheGEMMBackend() throws {
        let r = try CLI.run(["info"])
        #expect(r.status == 0 && r.stdout.contains("GEMM:"))
        let forced = ProcessInfo.processInfo.environment["WORDSMITH_KERNELS"]
        #expect(r.stdout.contains("kernels: \(forced == "generic" ? "generic" : "")"))
    }

    @Test func versionIsPrinted() throws {
        let r = try CLI.run(["--version"])
        #expect(r.status == 0)
        #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3,
                "expected a semantic version, got \(r.stdout)")
        #expect(try CLI.run(["info"]).stdout.hasPrefix("wordsmith \(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"))
    }
}

@Suite("Ctrl-C during training", .enabled(if: CLI.binary != nil, "the wordsmith executable is not built"))
struct InterruptTests {
    @Test func ctrlCStopsTrainingAndStillEvaluatesTheBestModel() throws {
        let dir = try CLI.corpus(String(repeating: "the cat sat on the mat . the dog sat on the log .\n", count: 400))
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["train", "--data", dir.path, "--emsize", "16", "--nhid", "16", "--batch-size", "2", "--bptt", "5",
                             "--epochs", "1000", "--log-interval", "50", "--save", dir.appendingPathComponent("m.safetensors").path]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = Pipe()
        try process.run()
        // Interrupt once the first epoch has been saved.
        var text = ""
        let deadline = Date().addingTimeInterval(120)
        while !text.contains("| end of epoch   1 |") && Date() < deadline {
            text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        text += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("Exiting from training early"))
        #expect(text.contains("| End of training | test loss"))
    }
}

@Suite("word2vec command line", .enabled(if: CLI.binary != nil, "the wordsmith executable is not built"))
struct Word2VecCLITests {
    @Test func trainQueryAndUseVectors() throws {
        let dir = try CLI.corpus(String(repeating: "the cat eats food at home\nthe dog eats food at home\na car needs fuel on roads\n", count: 60))
        let vectors = dir.appendingPathComponent("v.txt").path
        let r = try CLI.run(["word2vec", "--input", dir.appendingPathComponent("train.txt").path, "--output", vectors,
                             "--size", "16", "--min-count", "1", "--iter", "3"])
        #expect(r.status == 0, "\(r.output)")
        #expect(try String(contentsOfFile: vectors, encoding: .utf8).hasPrefix("13 16\n"))  // 13 distinct words
        let similar = try CLI.run(["similar", "cat", "--vectors", vectors, "--topn", "3"])
        #expect(similar.status == 0 && similar.stdout.split(separator: "\n").count == 3)
        let analogy = try CLI.run(["analogy", "cat", "dog", "car", "--vectors", vectors])
        #expect(analogy.status == 0)
        let missing = try CLI.run(["similar", "zebra", "--vectors", vectors])
        #expect(missing.status != 0 && missing.output.contains("'zebra' is not in the vectors"))
        // The vectors initialize a language model's embedding; a size mismatch is an error.
        let ok = try CLI.run(["train", "--data", dir.path, "--emsize", "16", "--nhid", "16", "--batch-size", "4", "--bptt", "5",
                              "--dry-run", "--embeddings", vectors, "--save", dir.appendingPathComponent("m.safetensors").path])
        #expect(ok.status == 0 && ok.output.contains("Initialized 13 of 14 word embeddings"), "\(ok.output)")
        let bad = try CLI.run(["train", "--data", dir.path, "--emsize", "8", "--nhid", "8", "--dry-run", "--embeddings", vectors,
                               "--save", dir.appendingPathComponent("m2.safetensors").path])
        #expect(bad.status != 0 && bad.output.contains("dimension 16"), "\(bad.output)")
    }

    @Test func inputErrors() throws {
        let dir = try CLI.corpus("a b c\n")
        let out = dir.appendingPathComponent("v.txt").path
        let empty = dir.appendingPathComponent("empty.txt")
        try Data().write(to: empty)
        let r1 = try CLI.run(["word2vec", "--input", empty.path, "--output", out])
        #expect(r1.status != 0 && r1.output.contains("contains no words"))
        let r2 = try CLI.run(["word2vec", "--input", dir.appendingPathComponent("train.txt").path, "--output", out])
        #expect(r2.status != 0 && r2.output.contains("lower --min-count"))
        let r3 = try CLI.run(["word2vec", "--input", "/nonexistent.txt", "--output", out])
        #expect(r3.status != 0 && r3.output.contains("cannot read input"))
        try Data("3 2\na 1 2\n".utf8).write(to: dir.appendingPathComponent("bad.txt"))
        let r4 = try CLI.run(["similar", "a", "--vectors", dir.appendingPathComponent("bad.txt").path])
        #expect(r4.status != 0 && r4.output.contains("truncated"))
    }
}
