import WordsmithEngine

/// Copies pre-trained word vectors into an embedding table.
public enum EmbeddingInitializer {
    public struct DimensionMismatch: Error, CustomStringConvertible {
        public let vectors: Int, embedding: Int
        public var description: String {
            "the vectors have dimension \(vectors) but the model's embedding has \(embedding); train with --emsize \(vectors)"
        }
    }

    /// Row i of `weight` [V, D] becomes the vector of `vocabulary[i]` where the file has one;
    /// other rows are left as they are. Returns how many rows were set.
    @discardableResult
    public static func load(_ vectors: KeyedVectors, into weight: Tensor, vocabulary: [String]) throws -> Int {
        guard weight.rank == 2, weight.shape[0] == vocabulary.count else {
            preconditionFailure("embedding \(weight.shape) for \(vocabulary.count) words")
        }
        let d = weight.shape[1]
        guard vectors.dimension == d else { throw DimensionMismatch(vectors: vectors.dimension, embedding: d) }
        var found = 0
        for (i, word) in vocabulary.enumerated() {
            guard let v = vectors.vector(word) else { continue }
            for (j, x) in v.enumerated() { weight.data[i * d + j] = x }
            found += 1
        }
        return found
    }
}
