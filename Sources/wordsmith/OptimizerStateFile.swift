import Foundation
import WordsmithEngine
import WordsmithLM
import WordsmithNN

/// The optimizer's state beside a training run's checkpoint (`NAME.optimizer.safetensors`),
/// tagged with the epoch it was saved at, so that `--resume` can tell that the two files
/// belong together.
enum OptimizerStateFile {
    /// Writes `state` beside `checkpoint` (nothing for a stateless optimizer). Called before
    /// the checkpoint itself is written.
    static func write(_ state: OptimizerState, epoch: Int, beside checkpoint: URL) throws {
        guard !state.isEmpty else { return }
        try state.safetensors(metadata: ["wordsmith.training.epoch": String(epoch)])
            .write(to: Checkpoint.optimizerStateURL(for: checkpoint))
    }

    /// The state saved beside `checkpoint` at `epoch`, or nil, with a warning, when there is
    /// none or it is from another epoch (the run then goes on with a fresh optimizer).
    static func read(beside checkpoint: URL, epoch: Int, optimizer: String) throws -> OptimizerState? {
        let url = Checkpoint.optimizerStateURL(for: checkpoint)
        guard FileManager.default.fileExists(atPath: url.path) else {
            Console.info("Warning: no \(optimizer) state saved with '\(checkpoint.path)' (\(url.lastPathComponent)); its moment estimates start from zero")
            return nil
        }
        let file: SafeTensors
        do { file = try SafeTensors(contentsOf: url) } catch { throw UserError("'\(url.path)' is not a valid optimizer state: \(error)") }
        guard file.metadata["wordsmith.training.epoch"] == String(epoch) else {
            Console.info("Warning: '\(url.path)' was saved at another epoch than the checkpoint; the optimizer starts afresh")
            return nil
        }
        do { return try OptimizerState(file) } catch { throw UserError("'\(url.path)': \(error)") }
    }
}
