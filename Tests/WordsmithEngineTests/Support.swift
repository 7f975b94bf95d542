import Testing
import WordsmithEngine

/// A tensor of uniform random values that requires grad.
func param(_ shape: [Int], _ low: Float = -1, _ high: Float = 1, seed: UInt64 = 1) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, generator: Generator(seed: seed), requiresGrad: true)
}

/// Records a test issue for each gradient mismatch (at most five).
func expectGradients(_ inputs: [Tensor], check: GradientCheck = GradientCheck(),
                     sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping () -> Tensor) {
    let bad = check.mismatches(inputs, f)
    for m in bad.prefix(5) { Issue.record("\(m)", sourceLocation: sourceLocation) }
    if bad.count > 5 { Issue.record("... and \(bad.count - 5) more mismatches", sourceLocation: sourceLocation) }
}

func expectValues(_ t: Tensor, _ expected: [Float], tolerance: Float = 1e-5,
                  sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(t.count == expected.count, "count \(t.count) vs \(expected.count)", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(t.scalars, expected).enumerated() where !(abs(a - e) <= tolerance * max(1, abs(e))) {
        Issue.record("element \(i): \(a) vs expected \(e)", sourceLocation: sourceLocation)
    }
}
