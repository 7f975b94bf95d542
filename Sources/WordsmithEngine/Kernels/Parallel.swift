import Dispatch
import Foundation

/// Splits work over the machine's cores. Small jobs run inline: a thread hand-off costs
/// microseconds, more than a few thousand element operations.
public enum Parallel {
    public static let coreCount = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, in parallel when
    /// `count * costPerItem` is large enough to pay for it.
    public static func forEachChunk(_ count: Int, costPerItem: Int = 1,
                                    _ body: (Range<Int>) -> Void) {
        forEachIndexedChunk(count, costPerItem: costPerItem) { _, range in body(range) }
    }

    /// As `forEachChunk`, also passing the chunk's index, which is below `coreCount` and
    /// different for every chunk of one call (for per-chunk scratch or partial sums).
    public static func forEachIndexedChunk(_ count: Int, costPerItem: Int = 1,
                                           _ body: (Int, Range<Int>) -> Void) {
        let work = count * costPerItem
        let chunks = min(coreCount, count, max(1, work / 32_768))
        if chunks <= 1 {
            if count > 0 { body(0, 0..<count) }
            return
        }
        // The chunks write disjoint ranges, so sharing `body` across threads is safe.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                if lo < hi { shared.value(c, lo..<hi) }
            }
        }
    }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees race freedom.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
