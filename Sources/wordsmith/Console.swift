import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Terminal output: log lines on stdout, messages on stderr, a progress bar only when
/// stdout is a terminal.
enum Console {
    static let isTerminal = isatty(STDOUT_FILENO) == 1

    static func info(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    static func line(_ s: String) {
        if isTerminal { print("\r\u{1B}[K", terminator: "") }
        print(s)
        fflush(nil)
    }

    /// A one-line bar: `[#####.....] 1234/2983 | 8,100 tok/s | ETA 3m12s`.
    static func progress(done: Int, total: Int, tokensPerSecond: Double, secondsLeft: Double) {
        guard isTerminal, total > 0 else { return }
        let width = 30, filled = min(width, width * done / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let eta = secondsLeft.isFinite ? "\(Int(secondsLeft) / 60)m\(String(format: "%02d", Int(secondsLeft) % 60))s" : "?"
        print("\r\u{1B}[K[\(bar)] \(done)/\(total) | \(Int(tokensPerSecond)) tok/s | ETA \(eta)", terminator: "")
        fflush(nil)
    }

    /// A `progress` callback for `Trainer.evaluate` over chunks of `tokensPerChunk` tokens:
    /// the bar with tokens/s and the time left, on a terminal only.
    static func evaluationProgress(tokensPerChunk: Int) -> (Int, Int) -> Void {
        let start = Date()
        return { done, total in
            guard done > 0 else { return }
            let elapsed = Date().timeIntervalSince(start)
            progress(done: done, total: total, tokensPerSecond: Double(done * tokensPerChunk) / elapsed,
                     secondsLeft: elapsed / Double(done) * Double(total - done))
        }
    }
}

/// Set by Ctrl-C during training; the loop stops at the next batch.
final class InterruptFlag: @unchecked Sendable {
    static let shared = InterruptFlag()
    private let lock = NSLock()
    private var raised = false
    private var source: DispatchSourceSignal?

    var isRaised: Bool { lock.withLock { raised } }

    /// Routes SIGINT to the flag instead of killing the process.
    func install() {
        signal(SIGINT, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        s.setEventHandler { [self] in lock.withLock { raised = true } }
        s.resume()
        source = s
    }
}

/// A message for the user, printed as `Error: ...` with a non-zero exit.
struct UserError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
