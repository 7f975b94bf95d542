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
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        self.count = count
        if zeroed { base.initialize(repeating: 0, count: count) }
    }

    deinit { base.deallocate() }
}
