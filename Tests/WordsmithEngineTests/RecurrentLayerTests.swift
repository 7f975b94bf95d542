import Testing
import WordsmithEngine

@Suite("Recurrent layer op")
struct RecurrentLayerTests {
    /// A batch large enough to be split over the cores gives the same outputs and gradients
    /// as each of its sequences run alone: rows never mix, however the batch is divided.
    @Test(arguments: [RecurrentCell.lstm, .gru, .tanh])
    func batchRowsAreIndependent(cell: RecurrentCell) {
        let t = 5, b = 16, h = 64, g = cell.gateCount * h  // enough work per row to be split over the cores
        let x = param([t, b, g], -1, 1, seed: 1), h0 = param([b, h], seed: 2)
        let w = param([g, h], -0.2, 0.2, seed: 3), bias = param([g], seed: 4)
        let c0 = cell == .lstm ? param([b, h], seed: 5) : nil
        let rows = cell == .lstm ? t + 1 : t
        let upstream = Tensor.uniform([rows, b, h], low: -1, high: 1, generator: Generator(seed: 6))

        let whole = recurrentLayer(cell, projected: x, h0: h0, c0: c0, weight: w, bias: bias)
        (whole * upstream).sum().backward()
        let wholeOut = whole.scalars
        let grads = [x, h0, w, bias].map { $0.grad?.scalars ?? [] }, gradC = c0?.grad?.scalars
        for p in [x, h0, w, bias] { p.zeroGrad() }
        c0?.zeroGrad()

        var rowOutputs: [[Float]] = []
        for r in 0..<b {
            let out = recurrentLayer(cell, projected: x.narrow(1, start: r, length: 1), h0: h0.narrow(0, start: r, length: 1),
                                     c0: c0?.narrow(0, start: r, length: 1), weight: w, bias: bias)
            (out * upstream.narrow(1, start: r, length: 1)).sum().backward()
            rowOutputs.append(out.scalars)
        }
        // Reassemble [rows, 1, h] per sequence into [rows, b, h].
        var alone = [Float](repeating: 0, count: rows * b * h)
        for r in 0..<b { for s in 0..<rows { for j in 0..<h { alone[(s * b + r) * h + j] = rowOutputs[r][s * h + j] } } }
        #expect(maxRelativeDifference(wholeOut, alone) < 1e-5)
        for (whole, p) in zip(grads, [x, h0, w, bias]) {
            #expect(maxRelativeDifference(whole, p.grad?.scalars ?? []) < 1e-4, "gradient of \(p.shape)")
        }
        if let gradC, let c0 { #expect(maxRelativeDifference(gradC, c0.grad?.scalars ?? []) < 1e-4) }
    }

    func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        return zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    }
}
