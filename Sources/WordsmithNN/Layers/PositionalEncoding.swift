import Foundation
import WordsmithEngine

/// Sinusoidal positions added to sequence-first input [T, B, D], then dropout:
///     PE(pos, 2i) = sin(pos / 10000^(2i/D)),   PE(pos, 2i+1) = cos(pos / 10000^(2i/D))
/// The table is a constant, not a parameter, so it is not part of the checkpoint.
public final class PositionalEncoding: Module {
    public let dim: Int
    @Key("dropout") public var dropout: Dropout

    public init(dim: Int, dropout p: Float, generator: Generator) {
        self.dim = dim
        super.init()
        self.dropout = Dropout(p, generator: generator)
    }

    /// The encoding of positions `start..<start+length`, [length, D].
    public func table(start: Int = 0, length: Int) -> [Float] {
        var pe = [Float](repeating: 0, count: length * dim)
        for p in 0..<length {
            let pos = Float(start + p)
            for i in stride(from: 0, to: dim, by: 2) {
                // Same formula as PyTorch: exp(2i * -ln(10000)/D), in Float32.
                let divTerm = Foundation.expf(Float(i) * (-Foundation.logf(10000) / Float(dim)))
                pe[p * dim + i] = Foundation.sinf(pos * divTerm)
                if i + 1 < dim { pe[p * dim + i + 1] = Foundation.cosf(pos * divTerm) }
            }
        }
        return pe
    }

    /// x [T, B, D] + PE[start..<start+T] broadcast over the batch.
    public func callAsFunction(_ x: Tensor, start: Int = 0) -> Tensor {
        precondition(x.rank == 3 && x.shape[2] == dim, "positional encoding expects [T, B, \(dim)], got \(x.shape)")
        let t = x.shape[0], b = x.shape[1]
        let pe = table(start: start, length: t)
        var expanded = [Float](repeating: 0, count: t * b * dim)
        for p in 0..<t { for j in 0..<b { for k in 0..<dim { expanded[(p * b + j) * dim + k] = pe[p * dim + k] } } }
        return dropout(x + Tensor(shape: x.shape, values: expanded))
    }
}
