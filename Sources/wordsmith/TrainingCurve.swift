import Foundation

/// Small standalone SVG line charts of training progress, one point per epoch.
enum TrainingCurve {
    struct Series {
        var label: String
        var color: String
        var values: [(epoch: Int, value: Double)]
    }

    /// Train and validation perplexity per epoch (log-scale y axis, since perplexity falls by
    /// orders of magnitude).
    static func svg(_ points: [(epoch: Int, train: Double, valid: Double)]) -> String {
        svg(title: "Perplexity per epoch", logScale: true, series: [
            Series(label: "train perplexity", color: "#1f77b4", values: points.map { ($0.epoch, $0.train) }),
            Series(label: "validation perplexity", color: "#d62728", values: points.map { ($0.epoch, $0.valid) }),
        ])
    }

    static func svg(title: String, logScale: Bool, series: [Series]) -> String {
        let w = 640.0, h = 400.0, left = 70.0, right = 20.0, top = 30.0, bottom = 50.0
        func scale(_ v: Double) -> Double { logScale ? log10(max(v, 1e-9)) : v }
        let values = series.flatMap { $0.values.map(\.value) }.filter { $0.isFinite && (!logScale || $0 > 0) }.map(scale)
        let lo = values.min() ?? 0, hi = max(values.max() ?? 1, lo + (logScale ? 0.1 : 1))
        let epochs = series.flatMap { $0.values.map(\.epoch) }
        let maxEpoch = Double(max(epochs.max() ?? 1, 2))
        func x(_ e: Int) -> Double { left + (Double(e) - 1) / (maxEpoch - 1) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (hi - scale(v)) / (hi - lo) * (h - top - bottom) }
        func path(_ vs: [(epoch: Int, value: Double)]) -> String {
            vs.filter { $0.value.isFinite }.enumerated().map { i, p in
                "\(i == 0 ? "M" : "L")\(String(format: "%.1f", x(p.epoch))),\(String(format: "%.1f", y(p.value)))"
            }.joined(separator: " ")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(w / 2)" y="18" text-anchor="middle" font-size="14">\(title)</text>
            <line x1="\(left)" y1="\(h - bottom)" x2="\(w - right)" y2="\(h - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(h - bottom)" stroke="black"/>
            <text x="\(w / 2)" y="\(h - 12)" text-anchor="middle">epoch</text>

            """
        for e in Set(epochs).sorted() {
            s += "<text x=\"\(String(format: "%.1f", x(e)))\" y=\"\(h - bottom + 16)\" text-anchor=\"middle\">\(e)</text>\n"
        }
        for k in 0...4 {
            let t = lo + (hi - lo) * Double(k) / 4
            let v = logScale ? pow(10, t) : t
            s += "<text x=\"\(left - 6)\" y=\"\(String(format: "%.1f", y(v) + 4))\" text-anchor=\"end\">\(String(format: v < 100 ? "%.1f" : "%.0f", v))</text>\n"
        }
        for (i, line) in series.enumerated() {
            s += "<path d=\"\(path(line.values))\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"/>\n"
            s += "<text x=\"\(w - right - 170)\" y=\"\(top + 14 + 16 * Double(i))\" fill=\"\(line.color)\">\(line.label)</text>\n"
        }
        return s + "</svg>\n"
    }
}
