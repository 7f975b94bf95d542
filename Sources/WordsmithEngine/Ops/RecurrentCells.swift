import CWordsmithKernels
import Foundation

/// Fused recurrent cell updates: the gate nonlinearities and state update of one time step
/// in a single pass (the matrix products that feed them happen outside, as GEMMs).

/// One LSTM step. `gates` [B, 4H] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh in PyTorch's order
/// (input, forget, cell, output); `c` [B, H] the previous cell state. Returns the new
/// state stacked as [2, B, H]: index 0 is h' = o ⊙ tanh(c'), index 1 is c' = f ⊙ c + i ⊙ g.
public func lstmCell(gates: Tensor, c: Tensor) -> Tensor {
    let b = c.shape[0], h = c.shape[1]
    precondition(c.rank == 2 && gates.shape == [b, 4 * h], "lstmCell: gates \(gates.shape) for state \(c.shape)")
    let act = Tensor.uninitialized([b, 4 * h])  // activated gates, saved for backward
    let tanhC = Tensor.uninitialized([b, h])  // tanh(c'), saved for backward
    let out = Tensor.uninitialized([2, b, h])
    // The gate nonlinearities, vectorized in C (AVX-512 / AVX2 chosen at run time).
    ws_lstm_cell(gates.data, c.data, act.data, out.data, out.data + b * h, tanhC.data, Int32(b), Int32(h))
    return out.recording("lstm_cell", [gates, c]) { out, grad in
        let a = act.data, cp = c.data, t = tanhC.data  // read through the tensors so the closure keeps them alive
        let dgates = gates.requiresGrad ? gates.gradBuffer() : nil
        let dc = c.requiresGrad ? c.gradBuffer() : nil
        for r in 0..<b {
            let ar = a + r * 4 * h
            for j in 0..<h {
                let k = r * h + j
                let i = ar[j], f = ar[h + j], g = ar[2 * h + j], o = ar[3 * h + j]
                let tc = t[k]
                let dh = grad[k]
                let dcTotal = grad[b * h + k] + dh * o * (1 - tc * tc)
                if let dgates {
                    let dr = dgates + r * 4 * h
                    dr[j] += dcTotal * g * i * (1 - i)
                    dr[h + j] += dcTotal * cp[k] * f * (1 - f)
                    dr[2 * h + j] += dcTotal * i * (1 - g * g)
                    dr[3 * h + j] += dh * tc * o * (1 - o)
                }
                dc?[k] += dcTotal * f
            }
        }
    }
}

/// One GRU step (PyTorch's formulation, gate order reset, update, new):
///     r = σ(gi_r + gh_r),  z = σ(gi_z + gh_z),  n = tanh(gi_n + r ⊙ gh_n),
///     h' = (1 - z) ⊙ n + z ⊙ h
/// with gi = x W_ihᵀ + b_ih and gh = h W_hhᵀ + b_hh, both [B, 3H]; `h` [B, H].
public func gruCell(inputGates gi: Tensor, hiddenGates gh: Tensor, h: Tensor) -> Tensor {
    let b = h.shape[0], hs = h.shape[1]
    precondition(h.rank == 2 && gi.shape == [b, 3 * hs] && gh.shape == [b, 3 * hs],
                 "gruCell: gates \(gi.shape), \(gh.shape) for state \(h.shape)")
    let act = Tensor.uninitialized([b, 3 * hs])  // r, z, n saved for backward
    let out = Tensor.uninitialized([b, hs])
    ws_gru_cell(gi.data, gh.data, h.data, act.data, out.data, Int32(b), Int32(hs))
    return out.recording("gru_cell", [gi, gh, h]) { _, grad in
        let a = act.data, y = gh.data, hp = h.data  // keep the saved tensors alive
        let dgi = gi.requiresGrad ? gi.gradBuffer() : nil
        let dgh = gh.requiresGrad ? gh.gradBuffer() : nil
        let dh = h.requiresGrad ? h.gradBuffer() : nil
        for row in 0..<b {
            let ar = a + row * 3 * hs, yr = y + row * 3 * hs
            for j in 0..<hs {
                let k = row * hs + j
                let r = ar[j], z = ar[hs + j], n = ar[2 * hs + j]
                let d = grad[k]
                let dn = d * (1 - z) * (1 - n * n)
                let dz = d * (hp[k] - n) * z * (1 - z)
                let dr = dn * yr[2 * hs + j] * r * (1 - r)
                if let dgi {
                    let g = dgi + row * 3 * hs
                    g[j] += dr; g[hs + j] += dz; g[2 * hs + j] += dn
                }
                if let dgh {
                    let g = dgh + row * 3 * hs
                    g[j] += dr; g[hs + j] += dz; g[2 * hs + j] += dn * r
                }
                dh?[k] += d * z
            }
        }
    }
}
