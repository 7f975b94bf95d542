import Foundation

/// A contiguous, 64-byte aligned buffer of Float32 values owned by one or more tensors.
///
/// Tensors that are views (reshape, leading-dimension slices) share a storage and differ
/// by offset and shape, so the hot kernels always see plain contiguous pointers.
public final class Storage {
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    /// Allocates `count` values, zero-filled when `zeroed` is true (otherwise uninitialized,
    /// for kernels that overwrite every element).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative storage size")
        base = BufferPool.shared.take(count)
        self.count = count
        if zeroed { base.initialize(repeating: 0, count: count) }
    }

    deinit { BufferPool.shared.give(base, count) }
}

/// Keeps freed large buffers for reuse by the next allocation of the same size.
///
/// A training step allocates the same shapes every batch; buffers above glibc's mmap
/// threshold would otherwise be unmapped on free and page-faulted in again (for the 93 MB
/// logits of a 33k-word vocabulary, tens of milliseconds a batch). Bounded in total size.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()
    static let minimumPooledCount = 256 * 1024  // 1 MB: smaller ones are cheap to malloc
    static let capacityBytes = 3 << 30

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count >= Self.minimumPooledCount {
            let reused: UnsafeMutablePointer<Float>? = lock.withLock {
                guard let p = free[count]?.popLast() else { return nil }
                pooledBytes -= count * 4
                return p
            }
            if let reused { return reused }
        }
        let n = max(count, 1)
        return UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: n)
    }

    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if count >= Self.minimumPooledCount {
            let kept = lock.withLock {
                guard pooledBytes + count * 4 <= Self.capacityBytes else { return false }
                free[count, default: []].append(p)
                pooledBytes += count * 4
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
