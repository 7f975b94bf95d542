import Foundation
import Testing
import WordsmithEngine

@Suite("safetensors reading, writing and validation")
struct SafeTensorsTests {
    static var fixtureWeights: URL? {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let base = ProcessInfo.processInfo.environment["WORDSMITH_FIXTURES"].map { URL(fileURLWithPath: $0) }
            ?? root.appendingPathComponent("shared/fixtures/pytorch")
        let url = base.appendingPathComponent("lm-lstm/weights.safetensors")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    @Test("a file written by PyTorch loads, and save -> reload gives byte-identical tensors",
          .enabled(if: fixtureWeights != nil, "no PyTorch fixture at ../shared/fixtures/pytorch"))
    func pytorchFileRoundTrip() throws {
        let original = try SafeTensors(contentsOf: try #require(Self.fixtureWeights))
        #expect(original.entries["rnn.weight_ih_l0"]?.shape == [96, 16])
        var copy = SafeTensors(metadata: ["format": "pt"])
        for name in original.names { copy.set(name, try original.tensor(name)) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roundtrip-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try copy.write(to: url)
        let reloaded = try SafeTensors(contentsOf: url)
        #expect(reloaded.names == original.names)
        #expect(reloaded.metadata == ["format": "pt"])
        for name in original.names {
            #expect(reloaded.entries[name]?.bytes == original.entries[name]?.bytes, "\(name) bytes differ")
            #expect(reloaded.entries[name]?.shape == original.entries[name]?.shape)
        }
    }

    @Test("metadata strings come back exactly, a leading U+FEFF included (a WikiText-2 token)")
    func metadataRoundTrip() throws {
        let values = ["\u{FEFF}", "[\"a\",\"\u{FEFF}\",\"b\u{FEFF}\"]", "é", "e\u{301}", "\u{1F600}", "tab\there"]
        var file = SafeTensors(metadata: Dictionary(uniqueKeysWithValues: values.enumerated().map { ("k\($0.offset)", $0.element) }))
        file.set("x", Tensor(shape: [1], values: [3]))
        let reloaded = try SafeTensors(data: file.serialized())
        for (i, v) in values.enumerated() {
            // Compare scalars: String's == treats canonically equivalent strings as equal.
            #expect(reloaded.metadata["k\(i)"].map { Array($0.unicodeScalars) } == Array(v.unicodeScalars))
        }
    }

    @Test func writesTheHuggingFaceLayout() throws {
        var file = SafeTensors()
        file.set("b", Tensor(shape: [2], values: [1, 2]))
        file.set("a", IndexTensor(shape: [1], values: [7] as [Int32]))
        let data = file.serialized()
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0)
        let header = try #require(String(data: data.subdata(in: 8..<(8 + headerLength)), encoding: .utf8))
        #expect(header.hasPrefix(#"{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#))
        #expect(data.count == 8 + headerLength + 16)
        let back = try SafeTensors(data: data)
        #expect(try back.indices("a").values == [7])
        #expect(try back.tensor("b").scalars == [1, 2])
    }

    static func file(header: String, data: [UInt8] = [], lengthOverride: UInt64? = nil) -> Data {
        var out = Data()
        var n = (lengthOverride ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(Data(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    @Test("malformed files are rejected with a clear error", arguments: [
        (Data([1, 2, 3]), "shorter than the 8-byte header length"),
        (file(header: "{}", lengthOverride: 1_000_000), "claims 1000000 bytes"),
        (file(header: "{not json"), "not a JSON object"),
        (file(header: "[1,2]"), "not a JSON object"),
        (file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0, 0]), "outside the 4-byte data section"),
        (file(header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "needs 12 bytes"),
        (file(header: #"{"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "unknown dtype 'Q7'"),
        (file(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)), "negative dimension"),
        (file(header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, data: Array(repeating: 0, count: 8)), "outside"),
        (file(header: #"{"w":{"dtype":"F32","shape":[2]}}"#), "data_offsets must be two integers"),
        (file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Array(repeating: 0, count: 8)), "overlap"),
    ] as [(Data, String)])
    func rejectsMalformed(_ data: Data, _ message: String) {
        do {
            _ = try SafeTensors(data: data)
            Issue.record("accepted a malformed file (expected: \(message))")
        } catch {
            #expect("\(error)".contains(message), "error was: \(error)")
        }
    }

    @Test func wrongDTypeForIndicesIsAnError() throws {
        var file = SafeTensors()
        file.set("w", Tensor(shape: [1], values: [1]))
        let back = try SafeTensors(data: file.serialized())
        #expect(throws: SafeTensors.FormatError.self) { try back.indices("w") }
        #expect(throws: SafeTensors.FormatError.missingTensor("nope")) { try back.tensor("nope") }
    }

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("m.safetensors")
        try AtomicFile.write(Data("first".utf8), to: url)
        try AtomicFile.write(Data("second".utf8), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["m.safetensors"])
        #expect(throws: (any Error).self) { try AtomicFile.write(Data(), to: dir.appendingPathComponent("missing/x")) }
    }
}
