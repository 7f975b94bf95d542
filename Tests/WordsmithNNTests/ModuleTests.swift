import Foundation
import Testing
import WordsmithEngine
import WordsmithNN

@Suite("Modules: names, modes, loading")
struct ModuleTests {
    let g = Generator(seed: 1)

    @Test func parameterNamesFollowPyTorch() {
        let layer = TransformerEncoderLayer(TransformerLayerConfig(dModel: 4, heads: 2, feedForward: 8), generator: g)
        #expect(layer.stateDict().map(\.0).sorted() == [
            "linear1.bias", "linear1.weight", "linear2.bias", "linear2.weight",
            "norm1.bias", "norm1.weight", "norm2.bias", "norm2.weight",
            "self_attn.in_proj_bias", "self_attn.in_proj_weight", "self_attn.out_proj.bias", "self_attn.out_proj.weight",
        ])
        let rnn = RNN(.lstm, inputSize: 3, hiddenSize: 5, layers: 2, generator: g)
        #expect(rnn.stateDict().map(\.0) == [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        ])
        #expect(rnn.stateDict()[0].1.shape == [20, 3])
        let stack = TransformerEncoder(TransformerLayerConfig(dModel: 4, heads: 2, feedForward: 8), layers: 2, generator: g)
        #expect(stack.stateDict().map(\.0).contains("layers.1.self_attn.out_proj.weight"))
        #expect(stack.stateDict().map(\.0).contains("norm.weight"))
    }

    @Test func tiedParametersAppearTwiceInStateDictButOnceForOptimizers() {
        final class Tied: Module {
            let encoder: Embedding
            let decoder: Linear
            init(_ g: Generator) {
                encoder = Embedding(5, 3, generator: g)
                decoder = Linear(weight: encoder.weight, bias: nil)
            }
        }
        let m = Tied(g)
        #expect(m.stateDict().map(\.0) == ["encoder.weight", "decoder.weight"])
        #expect(m.namedParameters().map(\.0) == ["encoder.weight"])
    }

    @Test func trainAndEvalReachEveryDropout() {
        let layer = TransformerEncoderLayer(TransformerLayerConfig(dModel: 4, heads: 2, feedForward: 8, dropout: 0.5), generator: g)
        let x = Tensor.uniform([3, 2, 4], low: -1, high: 1, generator: g)
        layer.eval()
        #expect(!layer.selfAttention.training && !layer.feedForward.dropout.training)
        #expect(layer(x).scalars == layer(x).scalars)  // deterministic without dropout
        layer.train()
        #expect(layer.dropout1.training && layer.feedForward.dropout.training)
        #expect(layer(x).scalars != layer(x).scalars)
    }

    @Test func loadStateDictChecksKeysAndShapes() throws {
        let lin = Linear(3, 2, generator: g)
        let w = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]), b = Tensor(shape: [2], values: [7, 8])
        try lin.loadStateDict(["weight": w, "bias": b])
        #expect(lin.weight.scalars == w.scalars && lin.bias?.scalars == b.scalars)
        #expect(throws: StateDictError.missing(["bias"])) { try lin.loadStateDict(["weight": w]) }
        #expect(throws: StateDictError.unexpected(["extra"])) { try lin.loadStateDict(["weight": w, "bias": b, "extra": b]) }
        #expect(throws: StateDictError.shapeMismatch("bias", expected: [2], found: [3])) {
            try lin.loadStateDict(["weight": w, "bias": Tensor(zeros: [3])])
        }
    }

    @Test func safetensorsRoundTripThroughAModule() throws {
        let a = TransformerEncoder(TransformerLayerConfig(dModel: 4, heads: 2, feedForward: 8), layers: 1, generator: Generator(seed: 1))
        let b = TransformerEncoder(TransformerLayerConfig(dModel: 4, heads: 2, feedForward: 8), layers: 1, generator: Generator(seed: 2))
        try b.load(try SafeTensors(data: a.safetensors().serialized()))
        for ((ka, ta), (kb, tb)) in zip(a.stateDict(), b.stateDict()) {
            #expect(ka == kb && ta.scalars == tb.scalars)
        }
    }

    @Test func sameSeedBuildsTheSameModel() {
        let a = RNN(.gru, inputSize: 3, hiddenSize: 4, generator: Generator(seed: 9))
        let b = RNN(.gru, inputSize: 3, hiddenSize: 4, generator: Generator(seed: 9))
        #expect(a.parameters().map(\.scalars) == b.parameters().map(\.scalars))
    }

    @Test func initializationBoundsFollowPyTorch() {
        let lin = Linear(100, 10, generator: g)
        #expect(lin.weight.scalars.allSatisfy { abs($0) <= 0.1 })
        let ln = LayerNorm(4)
        #expect(ln.weight.scalars == [1, 1, 1, 1] && ln.bias.scalars == [0, 0, 0, 0])
        let mha = MultiHeadAttention(embedDim: 8, heads: 2, generator: g)
        #expect(mha.inProjBias.scalars.allSatisfy { $0 == 0 } && mha.outProj.bias!.scalars.allSatisfy { $0 == 0 })
    }

    @Test func causalMaskHidesTheFuture() {
        let m = MultiHeadAttention.causalMask(3).scalars
        #expect(m == [0, -.infinity, -.infinity, 0, 0, -.infinity, 0, 0, 0])
        // Changing a later token does not change earlier outputs.
        let mha = MultiHeadAttention(embedDim: 4, heads: 2, generator: g)
        let x = Tensor.uniform([3, 1, 4], low: -1, high: 1, generator: g)
        let y = x.copy()
        y.data[2 * 4] += 1
        let a = mha(query: x, key: x, value: x, attentionMask: MultiHeadAttention.causalMask(3)).output
        let b = mha(query: y, key: y, value: y, attentionMask: MultiHeadAttention.causalMask(3)).output
        #expect(Array(a.scalars[0..<8]) == Array(b.scalars[0..<8]))
        #expect(a.scalars[8..<12] != b.scalars[8..<12])
    }

    @Test func attentionWeightsAreDistributions() throws {
        let mha = MultiHeadAttention(embedDim: 4, heads: 2, generator: g)
        let x = Tensor.uniform([3, 2, 4], low: -1, high: 1, generator: g)
        let w = try #require(mha(query: x, key: x, value: x, keyPaddingMask: [false, false, true, false, false, false], needWeights: true).weights)
        #expect(w.shape == [2, 3, 3])
        for row in 0..<6 { #expect(abs(w.scalars[(row * 3)..<(row * 3 + 3)].reduce(0, +) - 1) < 1e-5) }
        #expect(w.scalars[2] == 0 && w.scalars[5] == 0 && w.scalars[8] == 0)  // padded key of sequence 0
    }
}
