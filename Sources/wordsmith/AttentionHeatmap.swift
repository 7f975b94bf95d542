import Foundation

/// The cross-attention of a translation as an SVG heat map: one row per target word, one
/// column per source token, darker where the decoder looked when it produced the word.
enum AttentionHeatmap {
    static func svg(source: [String], target: [String], weights: [[Float]]) -> String {
        let cell = 28.0, left = 110.0, top = 70.0
        let w = left + cell * Double(source.count) + 20, h = top + cell * Double(target.count) + 20
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" font-family="sans-serif" font-size="13">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="18" font-size="12" fill="#555">cross-attention (last decoder layer, mean over heads)</text>

            """
        for (j, token) in source.enumerated() {
            let x = left + cell * (Double(j) + 0.5)
            s += "<text x=\"\(x)\" y=\"\(top - 8)\" text-anchor=\"start\" transform=\"rotate(-45 \(x) \(top - 8))\">\(esc(token))</text>\n"
        }
        for (i, token) in target.enumerated() {
            let y = top + cell * Double(i)
            s += "<text x=\"\(left - 6)\" y=\"\(y + cell * 0.65)\" text-anchor=\"end\">\(esc(token))</text>\n"
            for (j, weight) in (i < weights.count ? weights[i] : []).enumerated() where j < source.count {
                let level = Int(255 * (1 - min(max(Double(weight), 0), 1)))
                s += "<rect x=\"\(left + cell * Double(j))\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"rgb(\(level),\(level),255)\"><title>\(String(format: "%.3f", weight))</title></rect>\n"
            }
        }
        return s + "</svg>\n"
    }
}
