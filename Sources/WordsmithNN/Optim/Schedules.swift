import Foundation

/// Learning-rate schedules, as functions of the 1-based step number.
public enum LearningRateSchedule: Sendable {
    /// The same rate throughout.
    case constant(Float)
    /// "Attention Is All You Need": scale * d^-0.5 * min(step^-0.5, step * warmup^-1.5),
    /// rising linearly for `warmup` steps then decaying as 1/√step.
    case inverseSquareRoot(dModel: Int, warmup: Int, scale: Float)
    /// Linear warmup to `peak` over `warmup` steps, then constant.
    case linearWarmup(peak: Float, warmup: Int)

    public func rate(at step: Int) -> Float {
        let s = Float(max(step, 1))
        switch self {
        case .constant(let lr):
            return lr
        case .inverseSquareRoot(let d, let w, let scale):
            return scale * Foundation.powf(Float(d), -0.5) * min(Foundation.powf(s, -0.5), s * Foundation.powf(Float(max(w, 1)), -1.5))
        case .linearWarmup(let peak, let w):
            return peak * min(1, s / Float(max(w, 1)))
        }
    }
}
