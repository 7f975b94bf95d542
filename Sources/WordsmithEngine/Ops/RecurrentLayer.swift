import CWordsmithKernels
import Foundation

/// The cell of a recurrent layer, in PyTorch's gate order.
public enum RecurrentCell: Sendable {
    /// Gates input, forget, cell, output: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c').
    case lstm
    /// Gates reset, update, new: n = tanh(gi_n + r ⊙ gh_n), h' = (1 - z) ⊙ n + z ⊙ h.
    case gru
    /// h' = tanh(gi + gh) (RNN_TANH) or max(gi + gh, 0) (RNN_RELU).
    case tanh, relu

    public var gateCount: Int {
        switch self {
        case .lstm: 4
        case .gru: 3
        case .tanh, .relu: 1
        }
    }
}

/// One recurrent layer over a whole sequence, as a single op:
///
///     for t in 0..<T:  gh = h W_hhᵀ + b_hh;  (h, c) = cell(projected[t], gh, h, c)
///
/// `projected` [T, B, G·H] is the input projection x W_ihᵀ + b_ih of every step (one GEMM,
/// outside), `h0` and `c0` [B, H] the initial state (`c0` for an LSTM only), `weight` [G·H, H]
/// and `bias` [G·H] the recurrent parameters. Returns [T, B, H] outputs followed, for an LSTM,
/// by the final cell state: [T + 1, B, H] (the final h is output T - 1).
///
/// Why one op: the rows of the batch do not interact, so each core walks all T steps for its
/// share of the rows with no synchronization per step, and the backward pass forms the
/// weight gradient as one product over all steps (dGᵀ · H_prev) instead of one per step.
public func recurrentLayer(_ cell: RecurrentCell, projected: Tensor, h0: Tensor, c0: Tensor? = nil,
                           weight: Tensor, bias: Tensor) -> Tensor {
    let t = projected.shape[0], b = h0.shape[0], h = h0.shape[1], g = cell.gateCount * h
    precondition(projected.rank == 3 && projected.shape[1] == b && projected.shape[2] == g && t > 0,
                 "recurrentLayer: projected \(projected.shape) for state \(h0.shape) and \(cell.gateCount) gates")
    precondition(weight.shape == [g, h] && bias.shape == [g], "recurrentLayer: weight \(weight.shape), bias \(bias.shape)")
    precondition((cell == .lstm) == (c0 != nil) && (c0 == nil || c0?.shape == h0.shape),
                 "recurrentLayer: an LSTM, and only an LSTM, takes a cell state c0 shaped like h0")
    let lstm = cell == .lstm
    let out = Tensor.uninitialized([lstm ? t + 1 : t, b, h])
    // Saved for backward: the activated gates (LSTM, GRU), every cell state c_0...c_T and
    // tanh(c_t) (LSTM), the recurrent projections gh (GRU: its new gate needs gh_n).
    let act = cell.gateCount > 1 ? Tensor.uninitialized([t, b, g]) : nil
    let cells = lstm ? Tensor.uninitialized([t + 1, b, h]) : nil
    let tanhC = lstm ? Tensor.uninitialized([t, b, h]) : nil
    let recurrent = cell == .gru ? Tensor.uninitialized([t, b, g]) : nil
    let y = out.data, x = projected.data, w = weight.data, bs = bias.data
    if let cells, let c0 { cells.data.update(from: c0.data, count: b * h) }
    // hPrev · W_hhᵀ for the n rows of one core at step s (see `RecurrentProduct`).
    let product = RecurrentProduct(weight: w, gates: g, hidden: h, batch: b, steps: t)

    Parallel.forEachChunk(b, costPerItem: t * g * h) { rows in
        let r0 = rows.lowerBound, n = rows.count
        for s in 0..<t {
            let hPrev = s == 0 ? h0.data + r0 * h : y + ((s - 1) * b + r0) * h
            let hOut = y + (s * b + r0) * h
            let xs = x + (s * b + r0) * g
            switch cell {
            case .lstm:
                guard let act, let cells, let tanhC else { return }
                // gates = projected + b_hh + h W_hhᵀ, written where the activations go.
                let gates = act.data + (s * b + r0) * g
                addRows(xs, bias: bs, into: gates, rows: n, width: g)
                product.add(hPrev, rows: n, into: gates)
                ws_lstm_cell(gates, cells.data + (s * b + r0) * h, gates, hOut,
                             cells.data + ((s + 1) * b + r0) * h, tanhC.data + (s * b + r0) * h, Int32(n), Int32(h))
            case .gru:
                guard let act, let recurrent else { return }
                let gh = recurrent.data + (s * b + r0) * g
                for r in 0..<n { (gh + r * g).update(from: bs, count: g) }
                product.add(hPrev, rows: n, into: gh)
                ws_gru_cell(xs, gh, hPrev, act.data + (s * b + r0) * g, hOut, Int32(n), Int32(h))
            case .tanh, .relu:
                addRows(xs, bias: bs, into: hOut, rows: n, width: h)
                product.add(hPrev, rows: n, into: hOut)
                if cell == .tanh {
                    for i in 0..<(n * h) { hOut[i] = VectorMath.tanh(hOut[i]) }
                } else {
                    for i in 0..<(n * h) { hOut[i] = max(hOut[i], 0) }
                }
            }
        }
    }
    if let cells { (y + t * b * h).update(from: cells.data + t * b * h, count: b * h) }

    let inputs = [projected, h0, weight, bias] + (c0.map { [$0] } ?? [])
    return out.recording("recurrent_layer", inputs) { out, gradOut in
        // dG: the gradient of every step's gates before their nonlinearities, [T, B, G]; for
        // a GRU, dGh (the recurrent side's, which differs in the new gate: dn ⊙ r) too.
        let dG = Tensor.uninitialized([t, b, g])
        let dGh = cell == .gru ? Tensor.uninitialized([t, b, g]) : dG
        let dh0 = Tensor.uninitialized([b, h]), dc0 = lstm ? Tensor.uninitialized([b, h]) : nil
        let y = out.data, w = weight.data, h0d = h0.data
        let a = act?.data, cs = cells?.data, tc = tanhC?.data, gh = recurrent?.data

        Parallel.forEachChunk(b, costPerItem: t * g * h) { rows in
            let r0 = rows.lowerBound, n = rows.count
            // dh: the gradient reaching h_s from later steps; dc likewise for c_s.
            let dh = dh0.data + r0 * h, dc = dc0.map { $0.data + r0 * h }
            dh.update(repeating: 0, count: n * h)
            dc?.update(from: gradOut + (t * b + r0) * h, count: n * h)
            for s in stride(from: t - 1, through: 0, by: -1) {
                let at = s * b + r0
                let gy = gradOut + at * h
                for i in 0..<(n * h) { dh[i] += gy[i] }
                let dg = dG.data + at * g, dgh = dGh.data + at * g
                switch cell {
                case .lstm:
                    guard let a, let cs, let tc, let dc else { return }
                    for r in 0..<n {
                        let ar = a + (at + r) * g, dr = dg + r * g
                        for j in 0..<h {
                            let k = r * h + j, e = at * h + k
                            let i = ar[j], f = ar[h + j], gg = ar[2 * h + j], o = ar[3 * h + j]
                            let tcv = tc[e]
                            let dcTotal = dc[k] + dh[k] * o * (1 - tcv * tcv)
                            dr[j] = dcTotal * gg * i * (1 - i)
                            dr[h + j] = dcTotal * cs[e] * f * (1 - f)
                            dr[2 * h + j] = dcTotal * i * (1 - gg * gg)
                            dr[3 * h + j] = dh[k] * tcv * o * (1 - o)
                            dc[k] = dcTotal * f
                        }
                    }
                    // dh_{s-1} = dG_s · W_hh
                    GEMM.sgemm(transA: false, transB: false, m: n, n: h, k: g, a: dg, lda: g, b: w, ldb: h,
                               c: dh, ldc: h, serial: true)
                case .gru:
                    guard let a, let gh else { return }
                    let hp = s == 0 ? h0d + r0 * h : y + ((s - 1) * b + r0) * h
                    for r in 0..<n {
                        let ar = a + (at + r) * g, yr = gh + (at + r) * g
                        let di = dg + r * g, dhh = dgh + r * g
                        for j in 0..<h {
                            let k = r * h + j
                            let rv = ar[j], z = ar[h + j], nv = ar[2 * h + j]
                            let d = dh[k]
                            let dn = d * (1 - z) * (1 - nv * nv)
                            let dz = d * (hp[k] - nv) * z * (1 - z)
                            let drv = dn * yr[2 * h + j] * rv * (1 - rv)
                            di[j] = drv; di[h + j] = dz; di[2 * h + j] = dn
                            dhh[j] = drv; dhh[h + j] = dz; dhh[2 * h + j] = dn * rv
                            dh[k] = d * z  // the direct path h' = ... + z ⊙ h
                        }
                    }
                    GEMM.sgemm(transA: false, transB: false, m: n, n: h, k: g, a: dgh, lda: g, b: w, ldb: h,
                               beta: 1, c: dh, ldc: h, serial: true)
                case .tanh, .relu:
                    let ys = y + at * h
                    for i in 0..<(n * h) {
                        dg[i] = cell == .tanh ? dh[i] * (1 - ys[i] * ys[i]) : (ys[i] > 0 ? dh[i] : 0)
                    }
                    GEMM.sgemm(transA: false, transB: false, m: n, n: h, k: g, a: dg, lda: g, b: w, ldb: h,
                               c: dh, ldc: h, serial: true)
                }
            }
        }

        if projected.requiresGrad {
            let gp = projected.gradBuffer(), d = dG.data
            Parallel.forEachChunk(t * b * g) { r in for i in r { gp[i] += d[i] } }
        }
        if h0.requiresGrad {
            let g0 = h0.gradBuffer()
            for i in 0..<(b * h) { g0[i] += dh0.data[i] }
        }
        if let c0, let dc0, c0.requiresGrad {
            let g0 = c0.gradBuffer()
            for i in 0..<(b * h) { g0[i] += dc0.data[i] }
        }
        if weight.requiresGrad {  // dW += Σ_s dGh_sᵀ h_{s-1}: step 0 against h0, the rest against outputs 0..<T-1
            let gw = weight.gradBuffer()
            GEMM.sgemm(transA: true, transB: false, m: g, n: h, k: b, a: dGh.data, lda: g, b: h0d, ldb: h,
                       beta: 1, c: gw, ldc: h)
            if t > 1 {
                GEMM.sgemm(transA: true, transB: false, m: g, n: h, k: (t - 1) * b, a: dGh.data + b * g, lda: g,
                           b: y, ldb: h, beta: 1, c: gw, ldc: h)
            }
        }
        if bias.requiresGrad {  // db += column sums of dGh
            let gb = bias.gradBuffer(), d = dGh.data
            for r in 0..<(t * b) { VectorMath.axpy(1, d + r * g, gb, count: g) }
        }
    }
}

/// The forward step's product `c[rows, G·H] += hPrev[rows, H] · W_hhᵀ` for one core's rows.
///
/// With few rows per core (the examples' batches of 10 and 20 on two cores), a BLAS call would
/// pack all of W_hh (640 KB for the default LSTM) on every step, several times the cost of the
/// arithmetic: evaluation spent 13% of its time in that packing. Instead W_hhᵀ is made once per
/// sequence and `ws_gemm_few_rows` reads it in place. Its sums run in OpenBLAS's order, so the
/// results are the same as before, bit for bit with OpenBLAS's FMA kernels. Many rows per core
/// amortize the packing: those still go to `GEMM`, and so does a single step (generation), where
/// the transposition would cost as much as it saves and one row goes to `sgemv`, which does not pack.
private struct RecurrentProduct: @unchecked Sendable {
    /// Rows per call up to which the kernel is used.
    static let fewRows = 16
    let weight: UnsafePointer<Float>
    let gates: Int, hidden: Int
    /// W_hhᵀ [H, G·H], for a sequence on which some core may get few rows.
    let transposed: Storage?

    init(weight: UnsafePointer<Float>, gates: Int, hidden: Int, batch: Int, steps: Int) {
        self.weight = weight
        self.gates = gates
        self.hidden = hidden
        if steps > 1 && batch <= Self.fewRows * Parallel.coreCount {
            let t = Storage(count: gates * hidden, zeroed: false)
            for j in 0..<gates {
                for p in 0..<hidden { t.base[p * gates + j] = weight[j * hidden + p] }
            }
            transposed = t
        } else {
            transposed = nil
        }
    }

    func add(_ hPrev: UnsafePointer<Float>, rows n: Int, into c: UnsafeMutablePointer<Float>) {
        if let transposed, n <= Self.fewRows {
            ws_gemm_few_rows(hPrev, Int32(hidden), Int32(n), Int32(hidden), transposed.base, Int32(gates),
                             Int32(gates), c, Int32(gates))
        } else {
            GEMM.sgemm(transA: false, transB: true, m: n, n: gates, k: hidden, a: hPrev, lda: hidden, b: weight,
                       ldb: hidden, beta: 1, c: c, ldc: gates, serial: true)
        }
    }
}

/// dst[r, j] = src[r, j] + bias[j] for `rows` rows of `width`.
private func addRows(_ src: UnsafePointer<Float>, bias: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                     rows: Int, width: Int) {
    for r in 0..<rows {
        let s = src + r * width, d = dst + r * width
        for j in 0..<width { d[j] = s[j] + bias[j] }
    }
}
