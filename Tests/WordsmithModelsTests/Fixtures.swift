import Foundation
import Testing
import WordsmithEngine
import WordsmithModels
import WordsmithNN

/// The PyTorch golden fixtures: `$WORDSMITH_FIXTURES` when set, else `../shared/fixtures/pytorch`
/// beside the package. Each sub-folder holds config.json, weights.safetensors, expected.safetensors.
enum Fixtures {
    static let root: URL? = {
        let env = ProcessInfo.processInfo.environment["WORDSMITH_FIXTURES"]
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let url = env.map { URL(fileURLWithPath: $0) }
            ?? packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures/pytorch")
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue ? url : nil
    }()

    static let unavailableReason = "no fixture folder (looked in $WORDSMITH_FIXTURES, then ../shared/fixtures/pytorch)"

    /// Every fixture folder name, discovered (not listed by hand).
    static func folders(prefix: String) -> [String] {
        guard let root, let names = try? FileManager.default.contentsOfDirectory(atPath: root.path) else { return [] }
        return names.filter { name in
            name.hasPrefix(prefix)
                && FileManager.default.fileExists(atPath: root.appendingPathComponent(name).appendingPathComponent("config.json").path)
        }.sorted()
    }

    struct Case {
        let name: String
        let config: [String: Any]
        let weights: SafeTensors
        let expected: SafeTensors

        init(_ name: String) throws {
            let dir = try #require(Fixtures.root).appendingPathComponent(name)
            self.name = name
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("config.json")))
            config = try #require(json as? [String: Any])
            weights = try SafeTensors(contentsOf: dir.appendingPathComponent("weights.safetensors"))
            expected = try SafeTensors(contentsOf: dir.appendingPathComponent("expected.safetensors"))
        }

        func int(_ key: String) throws -> Int { try #require(SafeTensorsTestJSON.int(config[key]), "config.\(key)") }
        func float(_ key: String) throws -> Float { Float(try #require(SafeTensorsTestJSON.double(config[key]), "config.\(key)")) }
        func bool(_ key: String) -> Bool { config[key] as? Bool ?? false }
        func string(_ key: String) throws -> String { try #require(config[key] as? String, "config.\(key)") }
    }
}

enum SafeTensorsTestJSON {
    static func int(_ v: Any?) -> Int? { (v as? Int) ?? (v as? NSNumber)?.intValue }
    static func double(_ v: Any?) -> Double? { (v as? Double) ?? (v as? NSNumber)?.doubleValue ?? (v as? Int).map(Double.init) }
}

/// Element-wise |actual - expected| <= atol + rtol * |expected| (numpy's allclose), reporting
/// the worst element when it fails.
func expectClose(_ actual: Tensor?, _ expected: Tensor, _ what: String,
                 rtol: Float = 1e-4, atol: Float = 1e-5, atolPerElement: [Float]? = nil,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard let actual else {
        Issue.record("\(what): no value computed", sourceLocation: sourceLocation)
        return
    }
    guard actual.count == expected.count else {
        Issue.record("\(what): shape \(actual.shape) vs expected \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    var worst = -1, worstExcess: Float = 0
    for i in 0..<actual.count {
        let a = actual.data[i], e = expected.data[i]
        let excess = abs(a - e) - ((atolPerElement?[i] ?? atol) + rtol * abs(e))
        if !(excess <= 0) && (worst < 0 || excess > worstExcess || excess.isNaN) { worst = i; worstExcess = excess }
    }
    if worst >= 0 {
        Issue.record("\(what): element \(worst) is \(actual.data[worst]), expected \(expected.data[worst]) (rtol \(rtol), atol \(atol))",
                     sourceLocation: sourceLocation)
    }
}
