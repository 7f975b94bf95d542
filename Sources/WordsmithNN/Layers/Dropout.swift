import WordsmithEngine

/// Zeroes elements with probability `p` in training mode; the identity in evaluation mode.
public final class Dropout: Module {
    public let p: Float
    let generator: Generator

    public init(_ p: Float, generator: Generator) {
        precondition(p >= 0 && p < 1, "dropout must be in [0, 1), got \(p)")
        self.p = p
        self.generator = generator
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        training && p > 0 ? dropout(x, p: p, generator: generator) : x
    }
}
