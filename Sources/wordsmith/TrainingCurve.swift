import Foundation

/// Train and validation perplexity per epoch, drawn as a small standalone SVG line chart
/// (log-scale y axis, since perplexity falls by orders of magnitude).
enum TrainingCurve {
    static func svg(_ points: [(epoch: Int, train: Double, valid: Double)]) -> String {
        let w = 640.0, h = 400.0, left = 70.0, right = 20.0, top = 30.0, bottom = 50.0
        let values = points.flatMap { [$0.train, $0.valid] }.filter { $0.isFinite && $0 > 0 }
        let lo = log10(values.min() ?? 1), hi = max(log10(values.max() ?? 10), lo + 0.1)
        let maxEpoch = Double(max(points.last?.epoch ?? 1, 2))
        func x(_ e: Int) -> Double { left + (Double(e) - 1) / (maxEpoch - 1) * (w - left - right) }
        func y(_ v: Double) -> Double { top + (hi - log10(max(v, 1e-9))) / (hi - lo) * (h - top - bottom) }
        func path(_ vs: [(Int, Double)]) -> String {
            vs.enumerated().map { i, p in "\(i == 0 ? "M" : "L")\(String(format: "%.1f", x(p.0))),\(String(format: "%.1f", y(p.1)))" }.joined(separator: " ")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(w / 2)" y="18" text-anchor="middle" font-size="14">Perplexity per epoch</text>
            <line x1="\(left)" y1="\(h - bottom)" x2="\(w - right)" y2="\(h - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(h - bottom)" stroke="black"/>
            <text x="\(w / 2)" y="\(h - 12)" text-anchor="middle">epoch</text>

            """
        for e in points.map(\.epoch) {
            s += "<text x=\"\(String(format: "%.1f", x(e)))\" y=\"\(h - bottom + 16)\" text-anchor=\"middle\">\(e)</text>\n"
        }
        for k in 0...4 {
            let v = pow(10, lo + (hi - lo) * Double(k) / 4)
            s += "<text x=\"\(left - 6)\" y=\"\(String(format: "%.1f", y(v) + 4))\" text-anchor=\"end\">\(String(format: v < 100 ? "%.1f" : "%.0f", v))</text>\n"
        }
        s += "<path d=\"\(path(points.map { ($0.epoch, $0.train) }))\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        s += "<path d=\"\(path(points.map { ($0.epoch, $0.valid) }))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
        s += "<text x=\"\(w - right - 150)\" y=\"\(top + 14)\" fill=\"#1f77b4\">train perplexity</text>\n"
        s += "<text x=\"\(w - right - 150)\" y=\"\(top + 30)\" fill=\"#d62728\">validation perplexity</text>\n"
        return s + "</svg>\n"
    }
}
