import Foundation
import WordsmithEngine

/// What an optimizer carries from step to step (Adam's moment estimates, SGD's momentum
/// buffers, the step count), so that a saved run continues exactly where it stopped.
///
/// Buffers are named `<buffer>.<parameter name>` after PyTorch's per-parameter state keys:
/// `exp_avg.decoder.weight`, `exp_avg_sq.decoder.weight`, `momentum_buffer.rnn.weight_ih_l0`.
public struct OptimizerState {
    public var step: Int
    public var buffers: [String: Tensor]

    public init(step: Int = 0, buffers: [String: Tensor] = [:]) {
        self.step = step
        self.buffers = buffers
    }

    /// True when there is nothing to restore (plain SGD).
    public var isEmpty: Bool { step == 0 && buffers.isEmpty }

    public enum LoadError: Error, CustomStringConvertible {
        case missingBuffer(String)
        case shapeMismatch(String, expected: [Int], found: [Int])
        case malformed(String)

        public var description: String {
            switch self {
            case .missingBuffer(let n): return "the optimizer state has no '\(n)'"
            case .shapeMismatch(let n, let e, let f): return "the optimizer state's '\(n)' has shape \(f), the parameter \(e)"
            case .malformed(let why): return "malformed optimizer state: \(why)"
            }
        }
    }

    /// A copy of the buffer `name`, checked against `shape`.
    func buffer(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = buffers[name] else { throw LoadError.missingBuffer(name) }
        guard t.shape == shape else { throw LoadError.shapeMismatch(name, expected: shape, found: t.shape) }
        return Tensor(shape: t.shape, values: Array(UnsafeBufferPointer(start: t.data, count: t.count)))
    }

    /// Every buffer must be one of `kinds` for one of the parameters `names`: another name
    /// means the state belongs to another model or optimizer.
    func checkNames(_ kinds: [String], names: [(String, Tensor)]) throws {
        let known = Set(kinds.flatMap { kind in names.map { "\(kind).\($0.0)" } })
        if let stray = buffers.keys.sorted().first(where: { !known.contains($0) }) {
            throw LoadError.malformed("'\(stray)' is not a buffer of this optimizer for this model")
        }
    }

    /// As a safetensors file: the buffers as tensors, the step count and `metadata` in its metadata.
    public func safetensors(metadata: [String: String] = [:]) -> SafeTensors {
        var file = SafeTensors(metadata: metadata.merging(["wordsmith.optimizer.step": String(step)]) { $1 })
        for (name, t) in buffers { file.set(name, t) }
        return file
    }

    /// Reads the state written by `safetensors(metadata:)`.
    public init(_ file: SafeTensors) throws {
        guard let text = file.metadata["wordsmith.optimizer.step"], let step = Int(text), step >= 0 else {
            throw LoadError.malformed("no step count (wordsmith.optimizer.step) in its metadata")
        }
        var buffers: [String: Tensor] = [:]
        for name in file.names { buffers[name] = try file.tensor(name) }
        self.init(step: step, buffers: buffers)
    }
}
