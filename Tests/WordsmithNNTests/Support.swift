import Testing
import WordsmithEngine
import WordsmithNN

func input(_ shape: [Int], seed: UInt64 = 1, _ low: Float = -1, _ high: Float = 1) -> Tensor {
    Tensor.uniform(shape, low: low, high: high, generator: Generator(seed: seed), requiresGrad: true)
}

/// Finite-difference check of a module's output with respect to `inputs` and all its parameters.
func expectModuleGradients(_ module: Module, inputs: [Tensor], check: GradientCheck = GradientCheck(),
                           sourceLocation: SourceLocation = #_sourceLocation, _ f: @escaping () -> Tensor) {
    let bad = check.mismatches(inputs + module.parameters(), f)
    let names = ["inputs"] + module.namedParameters().map(\.0)
    for m in bad.prefix(5) {
        let which = m.input < inputs.count ? "input \(m.input)" : names[m.input - inputs.count + 1]
        Issue.record("\(which)[\(m.index)]: backward \(m.analytic), finite difference \(m.numeric)", sourceLocation: sourceLocation)
    }
    if bad.count > 5 { Issue.record("... and \(bad.count - 5) more", sourceLocation: sourceLocation) }
}
