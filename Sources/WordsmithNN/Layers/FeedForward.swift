import WordsmithEngine

/// The position-wise feed-forward block: linear2(dropout(activation(linear1(x)))).
public final class FeedForward: Module {
    public enum Activation: String, Sendable { case relu, gelu }

    public let linear1: Linear
    public let dropout: Dropout
    public let linear2: Linear
    public let activation: Activation

    public init(dim: Int, hidden: Int, dropout p: Float, activation: Activation = .relu, generator: Generator) {
        linear1 = Linear(dim, hidden, generator: generator)
        dropout = Dropout(p, generator: generator)
        linear2 = Linear(hidden, dim, generator: generator)
        self.activation = activation
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let h = linear1(x)
        return linear2(dropout(activation == .relu ? h.relu() : h.gelu()))
    }
}
