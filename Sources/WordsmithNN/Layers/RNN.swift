import WordsmithEngine

/// The recurrent cell types of PyTorch's `word_language_model` (names as its `--model`).
public enum RecurrentKind: String, CaseIterable, Sendable {
    case lstm = "LSTM", gru = "GRU", rnnTanh = "RNN_TANH", rnnRelu = "RNN_RELU"

    /// Stacked gate rows in the weight matrices: i,f,g,o for LSTM; r,z,n for GRU.
    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .rnnTanh, .rnnRelu: 1
        }
    }
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
/// the time steps with one small GEMM (h W_hhᵀ) and one fused cell update per step.
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
            var h = state.h.select(0, l)
            var c = kind == .lstm ? state.c?.select(0, l) : nil
            var outputs: [Tensor] = []
            outputs.reserveCapacity(t)
            for step in 0..<t {
                let gi = projected.select(0, step)
                let gh = linear(h, weight: weightHH[l], bias: biasHH[l])
                switch kind {
                case .lstm:
                    guard let cPrev = c else { preconditionFailure("LSTM cell state missing") }
                    let hc = lstmCell(gates: gi + gh, c: cPrev)
                    h = hc.select(0, 0)
                    c = hc.select(0, 1)
                case .gru:
                    h = gruCell(inputGates: gi, hiddenGates: gh, h: h)
                case .rnnTanh:
                    h = (gi + gh).tanh()
                case .rnnRelu:
                    h = (gi + gh).relu()
                }
                outputs.append(h)
            }
            lastH.append(h)
            if let c { lastC.append(c) }
            input = Tensor.stack(outputs, dim: 0)
            if l < layerCount - 1 { input = interLayerDropout(input) }
        }
        let final = RecurrentState(h: Tensor.stack(lastH, dim: 0), c: lastC.isEmpty ? nil : Tensor.stack(lastC, dim: 0))
        return (input, final)
    }
}
