import WordsmithEngine

/// The recurrent cell types of PyTorch's `word_language_model` (names as its `--model`).
public enum RecurrentKind: String, CaseIterable, Sendable {
    case lstm = "LSTM", gru = "GRU", rnnTanh = "RNN_TANH", rnnRelu = "RNN_RELU"

    /// The engine's cell for this kind.
    public var cell: RecurrentCell {
        switch self {
        case .lstm: .lstm
        case .gru: .gru
        case .rnnTanh: .tanh
        case .rnnRelu: .relu
        }
    }

    /// Stacked gate rows in the weight matrices: i,f,g,o for LSTM; r,z,n for GRU.
    public var gateCount: Int { cell.gateCount }
}

/// Hidden state of a stacked RNN: h [layers, B, H], and c [layers, B, H] for an LSTM.
public struct RecurrentState {
    public var h: Tensor
    public var c: Tensor?

    public init(h: Tensor, c: Tensor? = nil) {
        self.h = h
        self.c = c
    }

    /// The same values cut from the graph (truncated back-propagation through time).
    public func detached() -> RecurrentState {
        RecurrentState(h: h.detached(), c: c?.detached())
    }
}

/// A multi-layer RNN, LSTM or GRU over sequence-first input [T, B, inputSize]
/// (PyTorch `nn.RNN` / `nn.LSTM` / `nn.GRU`, with its parameter names and gate order).
///
/// Each layer computes its input projection for the whole sequence in one GEMM, then walks
/// the time steps in one `recurrentLayer` op (one small GEMM, h W_hhᵀ, and one fused cell
/// update per step, the batch's rows split over the cores).
public final class RNN: Module {
    public let kind: RecurrentKind
    public let inputSize: Int
    public let hiddenSize: Int
    public let layerCount: Int
    /// Dropout on the outputs of every layer but the last.
    public let interLayerDropout: Dropout
    let weightIH: [Tensor], weightHH: [Tensor], biasIH: [Tensor], biasHH: [Tensor]

    /// PyTorch's initialization: every weight and bias U(-1/√H, 1/√H).
    public init(_ kind: RecurrentKind, inputSize: Int, hiddenSize: Int, layers: Int = 1,
                dropout: Float = 0, generator: Generator) {
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layers
        interLayerDropout = Dropout(dropout, generator: generator)
        let g = kind.gateCount * hiddenSize
        let bound = 1 / Float(hiddenSize).squareRoot()
        func u(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, low: -bound, high: bound, generator: generator, requiresGrad: true)
        }
        var wih: [Tensor] = [], whh: [Tensor] = [], bih: [Tensor] = [], bhh: [Tensor] = []
        for l in 0..<layers {
            wih.append(u([g, l == 0 ? inputSize : hiddenSize]))
            whh.append(u([g, hiddenSize]))
            bih.append(u([g]))
            bhh.append(u([g]))
        }
        (weightIH, weightHH, biasIH, biasHH) = (wih, whh, bih, bhh)
    }

    public override var customParameters: [(String, Tensor)] {
        (0..<layerCount).flatMap { l in
            [("weight_ih_l\(l)", weightIH[l]), ("weight_hh_l\(l)", weightHH[l]),
             ("bias_ih_l\(l)", biasIH[l]), ("bias_hh_l\(l)", biasHH[l])]
        }
    }

    /// All-zero state for a batch of `batch` sequences.
    public func zeroState(batch: Int) -> RecurrentState {
        let shape = [layerCount, batch, hiddenSize]
        return RecurrentState(h: Tensor(zeros: shape), c: kind == .lstm ? Tensor(zeros: shape) : nil)
    }

    /// Runs the sequence `x` [T, B, inputSize] from `state`; returns the top layer's outputs
    /// [T, B, H] and the final state.
    public func callAsFunction(_ x: Tensor, _ state: RecurrentState) -> (output: Tensor, state: RecurrentState) {
        let t = x.shape[0], b = x.shape[1]
        precondition(x.rank == 3 && x.shape[2] == inputSize, "RNN expects [T, B, \(inputSize)], got \(x.shape)")
        precondition(state.h.shape == [layerCount, b, hiddenSize], "hidden state must be [\(layerCount), \(b), \(hiddenSize)], got \(state.h.shape)")
        precondition(kind != .lstm || state.c?.shape == state.h.shape, "an LSTM needs a cell state c shaped like h")
        var input = x
        var lastH: [Tensor] = [], lastC: [Tensor] = []
        for l in 0..<layerCount {
            let projected = linear(input, weight: weightIH[l], bias: biasIH[l])  // [T, B, G*H]
            let c0 = kind == .lstm ? state.c?.select(0, l) : nil
            // [T, B, H] outputs, then for an LSTM the final cell state.
            let result = recurrentLayer(kind.cell, projected: projected, h0: state.h.select(0, l), c0: c0,
                                        weight: weightHH[l], bias: biasHH[l])
            lastH.append(result.select(0, t - 1))
            if kind == .lstm { lastC.append(result.select(0, t)) }
            input = kind == .lstm ? result.narrow(0, start: 0, length: t) : result
            if l < layerCount - 1 { input = interLayerDropout(input) }
        }
        let final = RecurrentState(h: Tensor.stack(lastH, dim: 0), c: lastC.isEmpty ? nil : Tensor.stack(lastC, dim: 0))
        return (input, final)
    }
}
