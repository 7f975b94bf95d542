import Testing
import WordsmithEngine

@Suite("Seeded random numbers")
struct RandomTests {
    @Test func sameSeedSameStream() {
        let a = Generator(seed: 1111), b = Generator(seed: 1111), c = Generator(seed: 1112)
        let xs = (0..<100).map { _ in a.next() }
        #expect(xs == (0..<100).map { _ in b.next() })
        #expect(xs != (0..<100).map { _ in c.next() })
    }

    /// A generator moved to another's saved position (`positionText`) draws what it draws next;
    /// malformed text leaves it where it was.
    @Test func savedPositionContinuesTheStream() {
        let a = Generator(seed: 7)
        for _ in 0..<5 { _ = a.next() }
        let saved = a.positionText
        let b = Generator(seed: 99)
        #expect(b.move(to: saved))
        #expect((0..<4).map { _ in a.next() } == (0..<4).map { _ in b.next() })
        let c = Generator(seed: 3), before = c.position
        for bad in [["1", "2", "3"], ["0", "0", "0", "0"], ["1", "2", "3", "zz"]] { #expect(!c.move(to: bad)) }
        #expect(c.position == before)
    }

    @Test func distributionsHaveTheRightMoments() {
        let g = Generator(seed: 7)
        let u = (0..<100_000).map { _ in g.uniform(-0.1, 0.1) }
        #expect(u.allSatisfy { $0 >= -0.1 && $0 < 0.1 })
        #expect(abs(u.reduce(0, +) / 100_000) < 1e-3)
        let n = (0..<100_000).map { _ in Double(g.normal()) }
        let mean = n.reduce(0, +) / 1e5
        let variance = n.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1e5
        #expect(abs(mean) < 0.02 && abs(variance - 1) < 0.02)
    }

    @Test func dropoutIsRepeatableAndScaled() {
        let x = Tensor(shape: [1000], repeating: 1)
        let a = dropout(x, p: 0.25, generator: Generator(seed: 3))
        let b = dropout(x, p: 0.25, generator: Generator(seed: 3))
        #expect(a.scalars == b.scalars)
        #expect(Set(a.scalars).isSubset(of: [0, 1 / 0.75]))
        let dropped = a.scalars.filter { $0 == 0 }.count
        #expect(dropped > 200 && dropped < 300)
    }

    /// Value i of a counter stream is SplitMix64's (i+1)-th number from the key.
    @Test func counterStreamIsSplitMix64ByPosition() {
        let stream = Generator(seed: 5).counterStream()
        var state = stream.key
        for i in 0..<1000 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            #expect(stream.unitFloat(i) == Float(z >> 40) / 16_777_216, "position \(i)")
        }
    }

    /// A mask large enough to be filled on several cores equals the one drawn position by
    /// position, and keeps close to 1 - p of the elements.
    @Test func largeDropoutMaskDoesNotDependOnTheSplit() {
        let n = 1 << 20, p: Float = 0.1
        let x = Tensor(shape: [n], repeating: 1)
        let out = dropout(x, p: p, generator: Generator(seed: 9)).scalars
        let stream = Generator(seed: 9).counterStream()
        let expected = (0..<n).map { stream.unitFloat($0) < p ? Float(0) : 1 / (1 - p) }
        #expect(out == expected)
        let dropped = Double(out.filter { $0 == 0 }.count) / Double(n)
        #expect(abs(dropped - Double(p)) < 0.002)
    }

    /// Masks behave as independent draws with probability p, like the element-by-element
    /// xoshiro256** masks of the code before the speed-ups: neighbours in one mask, the same
    /// position in successive masks (keys drawn one after the other) and positions one
    /// counter-step apart across masks are dropped together p² of the time. At p = 0.2 a pair
    /// rate over 400,000 pairs has a standard error of 3e-4 and the drop rate over 410,000 draws
    /// one of 6e-4; the bounds are about 10 and 5 of them (a stream that repeated its masks
    /// would pair 0.2 of the time, not 0.04).
    @Test func dropoutMasksAreIndependent() {
        let g = Generator(seed: 33), p: Float = 0.2, n = 10_000, masks = 41
        let x = Tensor(shape: [n], repeating: 1)
        let dropped: [[Bool]] = (0..<masks).map { _ in dropout(x, p: p, generator: g).scalars.map { $0 == 0 } }
        func rate(_ pairs: [(Bool, Bool)]) -> Double { Double(pairs.filter { $0 && $1 }.count) / Double(pairs.count) }
        var neighbours: [(Bool, Bool)] = [], successive: [(Bool, Bool)] = [], shifted: [(Bool, Bool)] = []
        for k in 0..<masks {
            for i in 1..<n { neighbours.append((dropped[k][i - 1], dropped[k][i])) }
            guard k > 0 else { continue }
            for i in 0..<n { successive.append((dropped[k - 1][i], dropped[k][i])) }
            for i in 1..<n { shifted.append((dropped[k - 1][i], dropped[k][i - 1])) }
        }
        let expected = Double(p * p)
        for (name, pairs) in [("neighbours", neighbours), ("successive masks", successive), ("shifted by one", shifted)] {
            #expect(pairs.count >= 399_000 && abs(rate(pairs) - expected) < 0.003, "\(name): \(rate(pairs))")
        }
        let single = Double(dropped.joined().filter { $0 }.count) / Double(masks * n)
        #expect(abs(single - Double(p)) < 0.003)
    }

    /// The vectorized mask kernel gives exactly the scalar rule `unitFloat(i) < p` at every
    /// position, for probabilities with p·2²⁴ whole (0.25, 0.5) or not (0.1, 0.3), lengths
    /// that leave a tail, and the fused product with x.
    @Test(arguments: [Float(0.1), 0.25, 0.3, 0.5, 0.9])
    func dropoutMaskKernelMatchesTheScalarRule(p: Float) {
        let stream = Generator(seed: 21).counterStream()
        let g = Generator(seed: 4)
        for n in [1, 7, 33, 1000] {
            let x = (0..<n).map { _ in g.uniform(-2, 2) }
            var mask = [Float](repeating: -1, count: n), out = [Float](repeating: -1, count: n)
            x.withUnsafeBufferPointer { xp in
                stream.fillDropoutMask(&mask, count: n, p: p, applyingTo: xp.baseAddress, output: &out)
            }
            let expected = (0..<n).map { stream.unitFloat($0) < p ? Float(0) : 1 / (1 - p) }
            #expect(mask == expected, "n \(n)")
            #expect(out == zip(x, expected).map { $0 * $1 }, "n \(n)")
        }
    }
}
