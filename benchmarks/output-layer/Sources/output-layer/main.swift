import Foundation
import WordsmithEngine

// The default LSTM's training step: 35 × 20 = 700 tokens, 200 hidden units, WikiText-2's
// 33,278 words. The output layer and loss are one op; the products it runs set its floor.
let rows = 700, features = 200, classes = 33_278
let rounds = 15
let generator = Generator(seed: 1)
let x = Tensor.uniform([rows, features], low: -1, high: 1, generator: generator, requiresGrad: true)
let weight = Tensor.uniform([classes, features], low: -0.1, high: 0.1, generator: generator, requiresGrad: true)
let bias = Tensor.uniform([classes], low: -0.1, high: 0.1, generator: generator, requiresGrad: true)
let targets = (0..<rows).map { _ in Int32(generator.int(below: classes)) }
let scores = UnsafeMutablePointer<Float>.allocate(capacity: rows * classes)
scores.initialize(repeating: 0.001, count: rows * classes)
let dx = UnsafeMutablePointer<Float>.allocate(capacity: rows * features)
let dw = UnsafeMutablePointer<Float>.allocate(capacity: classes * features)
dx.initialize(repeating: 0, count: rows * features)
dw.initialize(repeating: 0, count: classes * features)

func milliseconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// The three products of a training step, as the op calls them, with nothing else.
@MainActor func products() -> (forward: Double, backward: Double) {
    let forward = milliseconds {  // scores = x · Wᵀ
        GEMM.sgemm(transA: false, transB: true, m: rows, n: classes, k: features, a: x.data, lda: features,
                   b: weight.data, ldb: features, beta: 1, c: scores, ldc: classes)
    }
    let backward = milliseconds {
        GEMM.sgemm(transA: false, transB: false, m: rows, n: features, k: classes, a: scores, lda: classes,
                   b: weight.data, ldb: features, beta: 1, c: dx, ldc: features)  // dx = dS · W
        GEMM.sgemm(transA: true, transB: false, m: classes, n: features, k: rows, a: scores, lda: classes,
                   b: x.data, ldb: features, beta: 1, c: dw, ldc: features)  // dW = dSᵀ · x
    }
    return (forward, backward)
}

var opForward: [Double] = [], opBackward: [Double] = [], gemmForward: [Double] = [], gemmBackward: [Double] = []
for round in 0..<(rounds + 2) {  // two warm-up rounds; op and products alternate in each
    var loss: Tensor?
    let f = milliseconds { loss = linearCrossEntropy(x, weight: weight, bias: bias, targets: targets) }
    let b = milliseconds { loss?.backward() }
    for p in [x, weight, bias] { p.zeroGrad() }
    let (pf, pb) = products()
    if round >= 2 { opForward.append(f); opBackward.append(b); gemmForward.append(pf); gemmBackward.append(pb) }
}

let flop = 2.0 * Double(rows) * Double(features) * Double(classes)  // one product
func line(_ name: String, _ ms: Double, products count: Double) -> String {
    name.padding(toLength: 36, withPad: " ", startingAt: 0)
        + String(format: "%8.2f ms  %6.1f GFLOP/s", ms, count * flop / ms / 1e6)
}
print("linearCrossEntropy [\(rows), \(features)] · [\(classes), \(features)]ᵀ, \(Parallel.coreCount) cores, medians of \(rounds) rounds")
print(line("op forward (product, max, exp-sum)", median(opForward), products: 1))
print(line("  its product alone", median(gemmForward), products: 1))
print(line("op backward (gradient, 2 products)", median(opBackward), products: 2))
print(line("  its products alone", median(gemmBackward), products: 2))
let op = median(zip(opForward, opBackward).map { $0 + $1 })
let alone = median(zip(gemmForward, gemmBackward).map { $0 + $1 })
print(String(format: "op %.2f ms, products alone %.2f ms: the rest of the op is %.1f%% of it", op, alone, 100 * (op - alone) / op))
