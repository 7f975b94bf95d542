import Foundation
import Testing
import WordsmithTranslation

@Suite("wordsmith translation commands", .enabled(if: CLI.binary != nil, "the wordsmith executable is not built"))
struct TranslationCLITests {
    /// Tab-separated "English<TAB>Chinese" pairs of digit strings, like the Tatoeba file.
    static func numbersFile() throws -> URL {
        let zh = ["一", "二", "三", "四"], en = ["one", "two", "three", "four"]
        var lines: [String] = []
        for a in 0..<4 { for b in 0..<4 { for c in 0..<4 {
            lines.append("\(en[a].capitalized) \(en[b]) \(en[c]).\t\(zh[a])\(zh[b])\(zh[c])。\tCC-BY")
        } } }
        let dir = try CLI.corpus()
        let url = dir.appendingPathComponent("pairs.txt")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        return url
    }

    @Test func trainTranslateAndScore() throws {
        let data = try Self.numbersFile()
        let dir = data.deletingLastPathComponent()
        let save = dir.appendingPathComponent("t.safetensors").path
        let r = try CLI.run(["translate-train", "--data", data.path, "--epochs", "2", "--d-model", "16", "--nhead", "2",
                             "--layers", "1", "--ff", "32", "--batch-size", "16", "--beam", "2", "--save", save])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("valid BLEU") && r.output.contains("test BLEU = ") && r.output.contains("(beam 2)"))
        #expect(r.output.contains("split (seed 1234) train"))
        for suffix in ["safetensors", "test.hyp.txt", "test.ref.txt", "test.src.txt", "loss.svg", "bleu.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("t.\(suffix)").path), "t.\(suffix)")
        }

        let svg = dir.appendingPathComponent("attention.svg").path
        let t = try CLI.run(["translate", "--checkpoint", save, "--beam", "3", "--show-attention", svg, "一二三。"])
        #expect(t.status == 0 && !t.stdout.isEmpty, "\(t.output)")
        let map = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(map.hasPrefix("<svg") && map.contains(">一<") && map.contains("<rect"))

        let unknown = try CLI.run(["translate", "--checkpoint", save, "--beam", "1", "猫"])
        #expect(unknown.status == 0 && unknown.stderr.contains("<unk>: 猫"))

        let b = try CLI.run(["bleu", "--ref", dir.appendingPathComponent("t.test.ref.txt").path,
                             "--hyp", dir.appendingPathComponent("t.test.hyp.txt").path])
        #expect(b.status == 0 && b.stdout.hasPrefix("BLEU = "), "\(b.output)")
    }

    /// Three epochs straight and one epoch then `--resume` for two more give the same files,
    /// bit for bit (dropout 0.1 included): the step of the schedule, Adam's state, the batch
    /// order and the dropout generator all continue where they stopped.
    @Test func resumeContinuesATranslationRun() throws {
        let data = try Self.numbersFile()
        let dir = data.deletingLastPathComponent()
        let straight = dir.appendingPathComponent("straight.safetensors").path
        let resumed = dir.appendingPathComponent("resumed.safetensors").path
        let flags = ["translate-train", "--data", data.path, "--d-model", "16", "--nhead", "2", "--layers", "1", "--ff", "32",
                     "--batch-size", "8", "--beam", "1", "--warmup", "10", "--lr-scale", "1"]  // best BLEU at epoch 3
        let three = try CLI.run(flags + ["--epochs", "3", "--save", straight])
        #expect(three.status == 0, "\(three.output)")
        let one = try CLI.run(flags + ["--epochs", "1", "--save", resumed])
        #expect(one.status == 0, "\(one.output)")
        let more = try CLI.run(flags + ["--epochs", "3", "--resume", resumed, "--save", resumed])
        #expect(more.status == 0 && more.stderr.contains("Resuming after epoch 1 (step 8)"), "\(more.output)")
        func epochLines(_ out: String) -> [Substring] {
            out.split(separator: "\n").filter { $0.contains("| end of epoch") }.map { $0[$0.range(of: "train loss")!.lowerBound...] }
        }
        #expect(epochLines(more.stdout) == Array(epochLines(three.stdout).dropFirst()))
        let state = try #require(try TranslationCheckpoint.load(from: URL(fileURLWithPath: resumed)).training)
        #expect(state.epoch >= 2, "the later epochs should beat the first one's BLEU")
        for name in ["straight", "resumed"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).optimizer.safetensors").path))
        }
        for suffix in ["safetensors", "optimizer.safetensors", "test.hyp.txt"] {
            #expect(FileManager.default.contents(atPath: dir.appendingPathComponent("straight.\(suffix)").path)
                    == FileManager.default.contents(atPath: dir.appendingPathComponent("resumed.\(suffix)").path), "\(suffix)")
        }

        let scratch = ["--save", dir.appendingPathComponent("scratch.safetensors").path]  // never the working directory
        let finished = try CLI.run(flags + ["--epochs", "\(state.epoch)", "--resume", resumed] + scratch)
        #expect(finished.status != 0 && finished.stderr.contains("has already trained \(state.epoch) epochs"), "\(finished.output)")
        let otherSplit = try CLI.run(flags + ["--epochs", "4", "--resume", resumed, "--seed", "7"] + scratch)
        #expect(otherSplit.status != 0 && otherSplit.stderr.contains("was trained on other data or another split"), "\(otherSplit.output)")
    }

    @Test func translationErrors() throws {
        let data = try Self.numbersFile()
        let dir = data.deletingLastPathComponent()
        func fails(_ args: [String], _ mentions: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try CLI.run(args)
            #expect(r.status != 0, "exit 0 for \(args)", sourceLocation: sourceLocation)
            #expect(r.output.contains(mentions), "output for \(args) lacks '\(mentions)':\n\(r.output)", sourceLocation: sourceLocation)
        }
        try fails(["translate-train", "--data", "/nonexistent/cmn.txt"], "does not exist")
        try fails(["translate-train", "--data", data.path, "--source-column", "5"], "column 5 is needed")
        try fails(["translate-train", "--data", data.path, "--d-model", "30", "--nhead", "4"], "divisible by --nhead")
        try fails(["translate", "--checkpoint", "/nonexistent.safetensors", "hi"], "does not exist")
        // A language-model checkpoint is not a translation model.
        let lm = dir.appendingPathComponent("lm.safetensors").path
        #expect(try CLI.run(["train", "--data", dir.path, "--epochs", "1", "--emsize", "8", "--nhid", "8", "--save", lm]).status == 0)
        try fails(["translate", "--checkpoint", lm, "hi"], "wordsmith.seq2seq.config")
        let ref = dir.appendingPathComponent("ref.txt"), hyp = dir.appendingPathComponent("hyp.txt")
        try Data("a b c d\ne f g h\n".utf8).write(to: ref)
        try Data("a b c d\n".utf8).write(to: hyp)
        try fails(["bleu", "--ref", ref.path, "--hyp", hyp.path], "has 1 lines but")
        try fails(["bleu", "--ref", "/nonexistent", "--hyp", hyp.path], "does not exist")
    }
}
