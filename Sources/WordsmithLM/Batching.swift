import WordsmithEngine

/// The example's data layout: the token stream cut into `batchSize` equal columns
/// ([rows, batchSize], column j continuing the text of column j-1's end), so each column
/// is read top to bottom in `bptt`-long chunks and the hidden state carries across chunks.
public struct BatchedStream: Sendable {
    public let ids: IndexTensor
    public var rows: Int { ids.shape[0] }
    public var batchSize: Int { ids.shape[1] }

    /// `batchify`: drops the remainder that does not fill a whole row.
    public init(_ stream: [Int32], batchSize: Int) {
        precondition(batchSize > 0, "batch size must be positive")
        let rows = stream.count / batchSize
        var values = [Int32](repeating: 0, count: rows * batchSize)
        for j in 0..<batchSize { for i in 0..<rows { values[i * batchSize + j] = stream[j * rows + i] } }
        ids = IndexTensor(shape: [rows, batchSize], values: values)
    }

    /// Start rows of the chunks: 0, bptt, 2·bptt, ... while a next token exists.
    public func chunkStarts(bptt: Int) -> StrideTo<Int> {
        stride(from: 0, to: rows - 1, by: bptt)
    }

    /// The batch total the example prints (`len(train_data) // bptt`; the pass itself
    /// may run one more, shorter chunk).
    public func chunkCount(bptt: Int) -> Int { rows / bptt }

    /// `get_batch`: input rows i..<i+len and the targets one row below, flattened [len * B].
    public func chunk(at i: Int, bptt: Int) -> (input: IndexTensor, targets: [Int32]) {
        let len = min(bptt, rows - 1 - i)
        return (ids.rows(i, len), ids.rows(i + 1, len).values)
    }
}
