/// Row lookup: the embedding layer's forward pass, with a scatter-add backward so that a
/// token appearing several times (or a weight shared with the decoder) sums its gradients.

/// weight [V, D] looked up at `indices` (shape `indexShape`) -> indexShape + [D].
public func embedding(_ weight: Tensor, indices: [Int32], indexShape: [Int]) -> Tensor {
    precondition(weight.rank == 2, "embedding weight must be [vocab, dim], got \(weight.shape)")
    precondition(indexShape.reduce(1, *) == indices.count, "\(indices.count) indices for shape \(indexShape)")
    let vocab = weight.shape[0], dim = weight.shape[1]
    let out = Tensor.uninitialized(indexShape + [dim])
    for (i, id) in indices.enumerated() {
        precondition(id >= 0 && Int(id) < vocab, "token id \(id) is outside the vocabulary of \(vocab)")
        (out.data + i * dim).update(from: weight.data + Int(id) * dim, count: dim)
    }
    return out.recording("embedding", [weight]) { _, g in
        let gw = weight.gradBuffer(addingToRows: indices)
        for (i, id) in indices.enumerated() {
            let dst = gw + Int(id) * dim, src = g + i * dim
            for k in 0..<dim { dst[k] += src[k] }
        }
    }
}
