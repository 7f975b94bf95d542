import Foundation

/// A contiguous, 64-byte aligned buffer of Float32 values owned by one or more tensors.
///
/// Tensors that are views (reshape, leading-dimension slices) share a storage and differ
/// by offset and shape, so the hot kernels always see plain contiguous pointers.
public final class Storage {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int
    /// The pooled buffer's true size (at least `count`), which it is given back under.
    private let capacity: Int

    /// Allocates `count` values, zero-filled when `zeroed` is true (otherwise uninitialized,
    /// for kernels that overwrite every element).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative storage size")
        (base, capacity) = BufferPool.shared.take(count)
        self.count = count
        if zeroed {
            if count < 1 << 18 {
                base.initialize(repeating: 0, count: count)
            } else {  // activations' gradient buffers (megabytes, every step): both cores
                let base = self.base
                Parallel.forEachChunk(count) { r in (base + r.lowerBound).initialize(repeating: 0, count: r.count) }
            }
        }
    }

    deinit { BufferPool.shared.give(base, capacity: capacity) }
}

/// Keeps freed large buffers for reuse by later allocations of the same size class.
///
/// A training step allocates the same shapes every batch; buffers above glibc's mmap
/// threshold would otherwise be unmapped on free and page-faulted in again (for the 93 MB
/// logits of a 33k-word vocabulary, tens of milliseconds a batch). Capacities are rounded up
/// to classes a quarter of a power of two apart, so that tensors whose shapes change a little
/// from batch to batch (translation batches of varying lengths) reuse each other's buffers;
/// the unused tail of a buffer is never touched, so it costs address space, not memory.
/// Bounded in total size.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    /// 128 KB, glibc's initial mmap threshold: smaller buffers come from malloc's heap.
    static let minimumPooledCount = 32 * 1024
    static let capacityBytes = 3 << 30

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0

    /// The capacity allocated for `count` values: pooled sizes rounded up to a multiple of a
    /// quarter of the largest power of two not above them (at most 25% more).
    static func capacity(_ count: Int) -> Int {
        guard count >= minimumPooledCount else { return max(count, 1) }
        let quarter = (1 << (Int.bitWidth - 1 - count.leadingZeroBitCount)) >> 2
        return (count + quarter - 1) / quarter * quarter
    }

    /// A buffer for `count` values and its capacity. A pooled request takes a free buffer of
    /// its own class or, failing that, of the next classes up to twice its size: batches of
    /// changing shapes then reuse what longer batches left instead of faulting in new pages.
    func take(_ count: Int) -> (UnsafeMutablePointer<Float>, capacity: Int) {
        let capacity = Self.capacity(count)
        if count >= Self.minimumPooledCount {
            let reused: (UnsafeMutablePointer<Float>, Int)? = lock.withLock {
                var c = capacity
                while c <= 2 * capacity {
                    if let p = free[c]?.popLast() {
                        pooledBytes -= c * 4
                        return (p, c)
                    }
                    c = Self.capacity(c + 1)
                }
                return nil
            }
            if let reused { return reused }
        }
        let p = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: capacity)
        return (p, capacity)
    }

    /// Returns a buffer from `take`, with the capacity it came with.
    func give(_ p: UnsafeMutablePointer<Float>, capacity: Int) {
        if capacity >= Self.minimumPooledCount {
            let kept = lock.withLock {
                guard pooledBytes + capacity * 4 <= Self.capacityBytes else { return false }
                free[capacity, default: []].append(p)
                pooledBytes += capacity * 4
                return true
            }
            if kept { return }
        }
        p.deallocate()
    }

    /// Frees every pooled buffer (e.g. between unrelated workloads).
    func drain() {
        let all = lock.withLock { () -> [UnsafeMutablePointer<Float>] in
            defer { free = [:]; pooledBytes = 0 }
            return free.values.flatMap { $0 }
        }
        for p in all { p.deallocate() }
    }
}
