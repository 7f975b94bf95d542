import Testing
import WordsmithEngine
import WordsmithNN

/// Finite-difference gradient checks of every layer, through inputs and parameters.
@Suite("Finite-difference gradients of every layer")
struct LayerGradientTests {
    let g = Generator(seed: 42)

    @Test func linearAndEmbedding() {
        let lin = Linear(4, 3, generator: g), x = input([2, 4])
        expectModuleGradients(lin, inputs: [x]) { lin(x) }
        let emb = Embedding(7, 3, generator: g)
        expectModuleGradients(emb, inputs: []) { emb(IndexTensor(shape: [2, 2], values: [1, 6, 1, 0] as [Int32])) }
    }

    @Test func layerNormModule() {
        let ln = LayerNorm(5), x = input([3, 5], seed: 2, -2, 2)
        ln.weight.assign(Tensor.uniform([5], low: 0.5, high: 1.5, generator: g))
        expectModuleGradients(ln, inputs: [x]) { ln(x) }
    }

    @Test func feedForward() {
        for activation in [FeedForward.Activation.relu, .gelu] {
            let ff = FeedForward(dim: 4, hidden: 6, dropout: 0, activation: activation, generator: g)
            let x = input([3, 2, 4], seed: 3)
            expectModuleGradients(ff, inputs: [x], check: GradientCheck(eps: 1e-3, atol: 2e-3, rtol: 2e-2)) { ff(x) }
        }
    }

    @Test func positionalEncodingPassesGradientThrough() {
        let pe = PositionalEncoding(dim: 6, dropout: 0, generator: g), x = input([4, 2, 6])
        expectGradients([x]) { pe(x) }
    }

    @Test func selfAttentionWithCausalAndPaddingMasks() {
        let mha = MultiHeadAttention(embedDim: 8, heads: 2, generator: g)
        let x = input([4, 3, 8], seed: 5)
        let padding = [false, false, false, true, false, false, false, false, false, false, true, true]
        expectModuleGradients(mha, inputs: [x]) {
            mha(query: x, key: x, value: x, attentionMask: MultiHeadAttention.causalMask(4), keyPaddingMask: padding).output
        }
    }

    @Test func crossAttention() {
        let mha = MultiHeadAttention(embedDim: 6, heads: 3, generator: g)
        let q = input([2, 2, 6], seed: 6), memory = input([5, 2, 6], seed: 7)
        expectModuleGradients(mha, inputs: [q, memory]) { mha(query: q, key: memory, value: memory).output }
        let v = input([5, 2, 6], seed: 8)
        expectModuleGradients(mha, inputs: [q, memory, v]) { mha(query: q, key: memory, value: v).output }
    }

    @Test(arguments: [false, true])
    func encoderLayer(normFirst: Bool) {
        let layer = TransformerEncoderLayer(TransformerLayerConfig(dModel: 8, heads: 2, feedForward: 12, dropout: 0, normFirst: normFirst), generator: g)
        let x = input([3, 2, 8], seed: 9)
        expectModuleGradients(layer, inputs: [x], check: GradientCheck(eps: 1e-3, atol: 3e-3, rtol: 3e-2)) {
            layer(x, mask: MultiHeadAttention.causalMask(3))
        }
    }

    @Test(arguments: [false, true])
    func decoderLayer(normFirst: Bool) {
        let layer = TransformerDecoderLayer(TransformerLayerConfig(dModel: 8, heads: 2, feedForward: 12, dropout: 0, normFirst: normFirst), generator: g)
        let x = input([3, 2, 8], seed: 10), memory = input([4, 2, 8], seed: 11)
        let memoryPadding = [false, false, false, true, false, false, false, false]
        expectModuleGradients(layer, inputs: [x, memory], check: GradientCheck(eps: 1e-3, atol: 3e-3, rtol: 3e-2)) {
            layer(x, memory: memory, targetMask: MultiHeadAttention.causalMask(3), memoryPaddingMask: memoryPadding)
        }
    }

    @Test(arguments: RecurrentKind.allCases)
    func recurrentLayers(kind: RecurrentKind) {
        let rnn = RNN(kind, inputSize: 3, hiddenSize: 4, layers: 2, generator: g)
        let x = input([5, 2, 3], seed: 12)
        let h0 = input([2, 2, 4], seed: 13, -0.5, 0.5), c0 = input([2, 2, 4], seed: 14, -0.5, 0.5)
        let state = RecurrentState(h: h0, c: kind == .lstm ? c0 : nil)
        let inputs = kind == .lstm ? [x, h0, c0] : [x, h0]
        expectModuleGradients(rnn, inputs: inputs) { rnn(x, state).output }
        expectModuleGradients(rnn, inputs: inputs) { rnn(x, state).state.h }
    }
}

func expectGradients(_ inputs: [Tensor], sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping () -> Tensor) {
    for m in GradientCheck().mismatches(inputs, f).prefix(5) { Issue.record("\(m)", sourceLocation: sourceLocation) }
}
