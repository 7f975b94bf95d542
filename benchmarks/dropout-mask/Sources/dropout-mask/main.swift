import Foundation
import WordsmithEngine

// Mask sizes of the default Transformer's training step: [35, 20, 200] activations and the
// [20·2, 35, 35] attention weights; and smaller and larger ones around the split threshold.
let sizes = [32_768, 49_000, 140_000, 280_000]
let rounds = 20, callsPerRound = 100
let generator = Generator(seed: 1)

/// The best of `rounds` mean times (ns) of `callsPerRound` calls of `body`.
func time(_ body: () -> Void) -> Double {
    for _ in 0..<10 { body() }
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<callsPerRound { body() }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / Double(callsPerRound))
    }
    return best
}

print("dropout masks with x·mask (p 0.2), \(Parallel.coreCount) cores; best of \(rounds) rounds of \(callsPerRound) masks")
print("     draws   one call (parts)   one core (calls of \(Generator.drawsPerPart - 1))   speed-up")
for n in sizes {
    let x = [Float](repeating: 1, count: n)
    var mask = [Float](repeating: 0, count: n), out = [Float](repeating: 0, count: n)
    let whole = time {
        x.withUnsafeBufferPointer { xp in generator.fillDropoutMask(&mask, count: n, p: 0.2, applyingTo: xp.baseAddress, output: &out) }
    }
    // The same draws, in calls below the split threshold: the serial loop alone.
    let piece = Generator.drawsPerPart - 1
    let serial = time {
        x.withUnsafeBufferPointer { xp in
            mask.withUnsafeMutableBufferPointer { mp in
                out.withUnsafeMutableBufferPointer { op in
                    for lo in stride(from: 0, to: n, by: piece) {
                        generator.fillDropoutMask(mp.baseAddress! + lo, count: min(piece, n - lo), p: 0.2,
                                                  applyingTo: xp.baseAddress! + lo, output: op.baseAddress! + lo)
                    }
                }
            }
        }
    }
    print(String(format: "%10d   %8.1f µs %5.2f ns   %8.1f µs %5.2f ns %20.2fx", n, whole / 1000, whole / Double(n),
                 serial / 1000, serial / Double(n), serial / whole))
}
