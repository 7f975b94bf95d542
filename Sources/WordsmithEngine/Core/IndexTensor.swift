/// An n-dimensional array of integer ids (token ids, class targets), row-major.
public struct IndexTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Int32]

    public init(shape: [Int], values: [Int32]) {
        precondition(shape.reduce(1, *) == values.count, "\(values.count) ids for shape \(shape)")
        self.shape = shape
        self.values = values
    }

    public init(shape: [Int], values: [Int]) {
        self.init(shape: shape, values: values.map { Int32(truncatingIfNeeded: $0) })
    }

    public var count: Int { values.count }

    /// Rows `start..<start+length` of the first dimension.
    public func rows(_ start: Int, _ length: Int) -> IndexTensor {
        let inner = shape.dropFirst().reduce(1, *)
        var s = shape
        s[0] = length
        return IndexTensor(shape: s, values: Array(values[(start * inner)..<((start + length) * inner)]))
    }
}

public func embedding(_ weight: Tensor, _ ids: IndexTensor) -> Tensor {
    embedding(weight, indices: ids.values, indexShape: ids.shape)
}
