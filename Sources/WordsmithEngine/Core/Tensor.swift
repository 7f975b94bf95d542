/// An n-dimensional Float32 tensor on the CPU, row-major and contiguous, that can take part
/// in reverse-mode automatic differentiation.
///
/// A tensor is a reference type because the autodiff graph needs identity: the same
/// parameter used twice (tied weights) must receive one gradient.
public final class Tensor {
    public let shape: [Int]
    public let storage: Storage
    public let offset: Int
    public let count: Int

    /// Whether gradients flow to (and, for leaves, are stored on) this tensor.
    public internal(set) var requiresGrad: Bool
    /// How this tensor was computed; nil for leaves, constants and detached tensors.
    var gradFn: GradFn?
    /// The accumulated gradient, same shape as the tensor, allocated on first use.
    var gradStorage: Storage?
    /// The rows (first-dimension slices) outside which the gradient is zero, sorted and unique,
    /// while only row scatters (embedding lookups) have written it; nil once anything else
    /// writes it, or when there is no gradient. An embedding table's gradient is row-sparse: a
    /// batch looks up a few hundred of its tens of thousands of rows, so the optimizer, the
    /// gradient norm and `zeroGrad` visit only those rows (PyTorch's `Embedding(sparse=True)`,
    /// without a separate sparse tensor type: `grad` stays a dense tensor, zero elsewhere).
    public internal(set) var gradientRows: [Int32]?
    /// A zero-filled buffer kept from a row-sparse gradient that `zeroGrad` cleared (only its
    /// rows needed zeroing), for the next gradient to start from.
    var spareGradStorage: Storage?

    /// Wraps an existing storage (views share it).
    public init(shape: [Int], storage: Storage, offset: Int = 0, requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        precondition(offset + n <= storage.count, "view \(shape)+\(offset) exceeds storage of \(storage.count)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.count = n
        self.requiresGrad = requiresGrad
    }

    /// A new zero-filled tensor.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: shape.reduce(1, *)), requiresGrad: requiresGrad)
    }

    /// A new tensor holding `values` (row-major), which must have as many elements as the shape.
    public convenience init(shape: [Int], values: [Float], requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        precondition(values.count == n, "\(values.count) values for shape \(shape)")
        let s = Storage(count: n, zeroed: false)
        values.withUnsafeBufferPointer { s.base.initialize(from: $0.baseAddress!, count: n) }
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// A tensor filled with one value.
    public convenience init(shape: [Int], repeating value: Float, requiresGrad: Bool = false) {
        let n = shape.reduce(1, *)
        let s = Storage(count: n, zeroed: false)
        s.base.initialize(repeating: value, count: n)
        self.init(shape: shape, storage: s, requiresGrad: requiresGrad)
    }

    /// A 0-dimensional tensor.
    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
    }

    /// Uninitialized result buffer for kernels that write every element.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: shape.reduce(1, *), zeroed: false))
    }

    /// Pointer to the first element (storage base plus offset).
    public var data: UnsafeMutablePointer<Float> { storage.base + offset }
    public var rank: Int { shape.count }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// The elements in row-major order.
    public var scalars: [Float] { Array(buffer) }

    /// The single value of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item() needs exactly one element, shape is \(shape)")
        return data[0]
    }

    /// Size of dimension `d` (negative counts from the end).
    public func size(_ d: Int) -> Int { shape[normalizedAxis(d)] }

    func normalizedAxis(_ d: Int) -> Int {
        let a = d < 0 ? d + rank : d
        precondition(a >= 0 && a < rank, "dimension \(d) out of range for shape \(shape)")
        return a
    }

    // MARK: Gradients

    /// The accumulated gradient, or nil when backward has not reached this tensor.
    public var grad: Tensor? {
        gradStorage.map { Tensor(shape: shape, storage: $0) }
    }

    /// Elements per row (first-dimension slice), the span of one index in `gradientRows`.
    public var rowWidth: Int { rank > 0 && shape[0] > 0 ? count / shape[0] : count }

    /// Forget the gradient (as `optimizer.zero_grad(set_to_none=True)`).
    public func zeroGrad() {
        if let rows = gradientRows, let g = gradStorage {
            // Zero the rows written and keep the buffer: all-zero again without a full pass.
            let width = rowWidth
            for r in rows { (g.base + Int(r) * width).update(repeating: 0, count: width) }
            spareGradStorage = g
        }
        releaseGradient()
    }

    /// Drops the gradient (and its row set) without keeping the buffer.
    func releaseGradient() {
        gradStorage = nil
        gradientRows = nil
    }

    /// Zero-initialized gradient buffer of this tensor's shape, created on first use;
    /// backward functions accumulate (+=) into it. The gradient is dense from then on.
    func gradBuffer() -> UnsafeMutablePointer<Float> {
        gradientRows = nil
        return gradStorageCreatingIfNeeded().base
    }

    /// The gradient buffer for a backward that adds only into rows `rows` (first-dimension
    /// slices, any order, repeats allowed): the gradient stays row-sparse if it was absent or
    /// row-sparse, and stays dense if it was dense.
    func gradBuffer(addingToRows rows: [Int32]) -> UnsafeMutablePointer<Float> {
        let wasDense = gradStorage != nil && gradientRows == nil
        let base = gradStorageCreatingIfNeeded().base
        if !wasDense { gradientRows = Self.sortedUnion(gradientRows ?? [], rows) }
        return base
    }

    private func gradStorageCreatingIfNeeded() -> Storage {
        if let g = gradStorage { return g }
        let g = spareGradStorage ?? Storage(count: count)
        spareGradStorage = nil
        gradStorage = g
        return g
    }

    /// The sorted, unique union of a sorted unique list and any list.
    static func sortedUnion(_ sorted: [Int32], _ more: [Int32]) -> [Int32] {
        var all = sorted + more
        all.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(all.count)
        for r in all where unique.last != r { unique.append(r) }
        return unique
    }

    /// Marks a leaf tensor as a parameter whose gradient is wanted.
    @discardableResult
    public func requiringGrad(_ flag: Bool = true) -> Tensor {
        precondition(gradFn == nil, "requiringGrad() is for leaf tensors")
        requiresGrad = flag
        return self
    }

    /// A tensor sharing this one's values but cut from the graph (like `tensor.detach()`).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage, offset: offset)
    }

    /// A deep copy of the values, not connected to the graph.
    public func copy() -> Tensor {
        let t = Tensor.uninitialized(shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Overwrites the values in place (for loading weights); shapes must match.
    public func assign(_ other: Tensor) {
        precondition(other.shape == shape, "assign: shape \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
