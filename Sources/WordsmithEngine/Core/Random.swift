import CWordsmithKernels
import Foundation

/// The seeded random number generator behind initialization and dropout: xoshiro256**,
/// seeded through SplitMix64, so a run with the same seed is bit-for-bit repeatable.
///
/// A reference type so that a model and its dropout layers draw from one shared stream.
public final class Generator: RandomNumberGenerator {
    private var state: Xoshiro256
    public let seed: UInt64

    /// The state as a value type, so each draw updates it in place.
    struct Xoshiro256 {
        var s: (UInt64, UInt64, UInt64, UInt64)

        @inline(__always)
        mutating func next() -> UInt64 {
            let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
            let t = s.1 << 17
            s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
            s.2 ^= t
            s.3 = (s.3 << 45) | (s.3 >> 19)
            return result
        }
    }

    public init(seed: UInt64) {
        self.seed = seed
        var splitmix = SplitMix64(seed: seed)
        state = Xoshiro256(s: (splitmix.next(), splitmix.next(), splitmix.next(), splitmix.next()))
    }

    @inline(__always)
    public func next() -> UInt64 { state.next() }

    /// The position in the stream (xoshiro256**'s four words): saved with a training run and
    /// set again on resume, so that the dropout masks continue as if never interrupted.
    public var position: [UInt64] {
        get { [state.s.0, state.s.1, state.s.2, state.s.3] }
        set {
            precondition(newValue.count == 4 && newValue.contains { $0 != 0 }, "a generator position is four words, not all zero")
            state.s = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// `position` as text (four hex words), for a checkpoint's JSON metadata.
    public var positionText: [String] { position.map { String($0, radix: 16) } }

    /// Moves to a position written by `positionText`; false, without moving, when the text is
    /// not four hex words, not all zero.
    public func move(to text: [String]) -> Bool {
        let words = text.compactMap { UInt64($0, radix: 16) }
        guard text.count == 4, words.count == 4, words.contains(where: { $0 != 0 }) else { return false }
        position = words
        return true
    }

    /// Uniform in [0, 1) with 24 random bits (every Float in the range is reachable evenly).
    @inline(__always)
    public func nextUnitFloat() -> Float { unitFloat(fromBits: state.next()) }

    /// Inverted dropout's multipliers: mask[i] = 0 where the i-th next draw's `nextUnitFloat()`
    /// is below p, else 1/(1-p), for i in 0..<count, advancing the generator by `count` draws;
    /// also output[i] = x[i]·mask[i] when `x` is given. Element by element, in order, as the
    /// code before the speed-ups drew them, so a seed gives that code's masks (in a C loop).
    /// A long mask is drawn in parts on all cores, each part starting where the draws before
    /// it leave the stream (a jump ahead), so the masks do not depend on the number of cores.
    public func fillDropoutMask(_ mask: UnsafeMutablePointer<Float>, count: Int, p: Float,
                                applyingTo x: UnsafePointer<Float>? = nil, output: UnsafeMutablePointer<Float>? = nil) {
        precondition((x == nil) == (output == nil), "fillDropoutMask: x and output go together")
        let keep: Float = p >= 1 ? 0 : 1 / (1 - p)
        // u / 2²⁴ < p  ⇔  u < ⌈p·2²⁴⌉ for the integer u (both sides exact in Double).
        let threshold = UInt32(min(16_777_216, max(0, (Double(p) * 16_777_216).rounded(.up))))
        let parts = min(Parallel.coreCount, count / Self.drawsPerPart)
        let length = parts > 1 ? (count + parts - 1) / parts : count
        guard parts > 1, let jump = jumpPolynomial(draws: length) else {
            withStateWords { ws_xoshiro_dropout_mask($0, mask, x, output, Int64(count), threshold, keep) }
            return
        }
        // Part c starts c·length draws on: the state jumped c times.
        let states = UnsafeMutablePointer<UInt64>.allocate(capacity: 4 * parts)
        defer { states.deallocate() }
        withStateWords { states.update(from: $0, count: 4) }
        for c in 1..<parts {
            (states + 4 * c).update(from: states + 4 * (c - 1), count: 4)
            ws_xoshiro_jump(states + 4 * c, jump)
        }
        let shared = UncheckedSendable((states, mask, x, output))
        DispatchQueue.concurrentPerform(iterations: parts) { c in
            let (states, mask, x, output) = shared.value
            let lo = c * length, n = max(0, min(length, count - lo))
            ws_xoshiro_dropout_mask(states + 4 * c, mask + lo, x.map { $0 + lo }, output.map { $0 + lo },
                                    Int64(n), threshold, keep)
        }
        // The last part ends where `count` serial draws would.
        withStateWords { $0.update(from: states + 4 * (parts - 1), count: 4) }
    }

    /// Moves the generator on by `draws` draws without making them (the position `draws`
    /// calls of `next()` would leave), in microseconds.
    public func advance(by draws: Int) {
        precondition(draws >= 0, "a generator cannot move back")
        if let jump = jumpPolynomial(draws: draws) {
            withStateWords { ws_xoshiro_jump($0, jump) }
        } else {
            for _ in 0..<draws { _ = state.next() }
        }
    }

    /// Below this many draws per core a mask is drawn on one core: handing a part to another
    /// core costs tens of µs (at 2 × 16,384 draws the parts ran 1.15-1.36x as fast as one
    /// core on Zen 4, `benchmarks/dropout-mask`).
    public static let drawsPerPart = 16_384

    /// The state update's characteristic polynomial, x^256 + these four words, that jumps
    /// are computed from (nil if it could not be found: then nothing jumps).
    private static let characteristic: [UInt64]? = {
        var low = [UInt64](repeating: 0, count: 4)
        return ws_xoshiro_characteristic_polynomial(&low) == 1 ? low : nil
    }()

    /// Jump polynomials by number of draws: a model's masks come in a few sizes.
    private var jumps: [Int: [UInt64]] = [:]

    private func jumpPolynomial(draws: Int) -> [UInt64]? {
        if let jump = jumps[draws] { return jump }
        guard let low = Self.characteristic else { return nil }
        var jump = [UInt64](repeating: 0, count: 4)
        ws_xoshiro_jump_polynomial(low, UInt64(draws), &jump)
        if jumps.count >= 64 { jumps.removeAll() }
        jumps[draws] = jump
        return jump
    }

    /// The four state words as contiguous memory, for the C kernels.
    private func withStateWords(_ body: (UnsafeMutablePointer<UInt64>) -> Void) {
        withUnsafeMutablePointer(to: &state.s) { words in  // a homogeneous tuple: four contiguous words
            words.withMemoryRebound(to: UInt64.self, capacity: 4) { body($0) }
        }
    }

    /// Uniform in [low, high).
    public func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// Standard normal by Box-Muller.
    public func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }

    /// An integer uniform in 0..<bound.
    public func int(below bound: Int) -> Int {
        var g = self  // a reference: draws advance this generator
        return Int.random(in: 0..<bound, using: &g)
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): a tiny generator that is easy to reproduce in
/// other languages, used to seed `Generator` and where a result must be re-derivable outside
/// Wordsmith (the translation split and batch order).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    static let gamma: UInt64 = 0x9E37_79B9_7F4A_7C15
    var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.gamma
        return Self.mix(state)
    }

    /// The output function: the number SplitMix64 gives when its state is `z`.
    @inline(__always)
    static func mix(_ z: UInt64) -> UInt64 {
        var z = z
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Uniform in [0, 1) from the top 24 bits of a random word.
@inline(__always)
func unitFloat(fromBits bits: UInt64) -> Float {
    Float(bits >> 40) * (1.0 / 16_777_216.0)
}

extension Tensor {
    /// Values drawn uniformly from [low, high).
    public static func uniform(_ shape: [Int], low: Float, high: Float, generator: Generator,
                               requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, requiresGrad: requiresGrad)
        for i in 0..<t.count { t.data[i] = generator.uniform(low, high) }
        return t
    }

    /// Values drawn from N(mean, std^2).
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1, generator: Generator,
                              requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(zeros: shape, requiresGrad: requiresGrad)
        for i in 0..<t.count { t.data[i] = mean + std * generator.normal() }
        return t
    }
}
