import WordsmithEngine

/// A lookup table of word vectors (PyTorch `nn.Embedding`), weight [vocab, dim].
public final class Embedding: Module {
    public let weight: Tensor

    /// PyTorch's default initialization: N(0, 1).
    public init(_ count: Int, _ dim: Int, generator: Generator) {
        weight = Tensor.normal([count, dim], generator: generator, requiresGrad: true)
    }

    public var count: Int { weight.shape[0] }
    public var dim: Int { weight.shape[1] }

    public func callAsFunction(_ ids: IndexTensor) -> Tensor {
        embedding(weight, ids)
    }
}
