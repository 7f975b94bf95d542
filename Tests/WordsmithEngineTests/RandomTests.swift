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

    /// A mask is the generator's next `n` draws in order, `nextUnitFloat() < p` dropping: the
    /// rule of the code before the speed-ups, so a seed gives that code's masks; and the
    /// generator ends where n draws leave it, so later draws continue the same stream.
    @Test func dropoutMaskIsTheGeneratorsNextDraws() {
        let n = 1 << 20, p: Float = 0.1
        let x = Tensor(shape: [n], repeating: 1)
        let g = Generator(seed: 9), reference = Generator(seed: 9)
        let out = dropout(x, p: p, generator: g).scalars
        let expected = (0..<n).map { _ in reference.nextUnitFloat() < p ? Float(0) : 1 / (1 - p) }
        #expect(out == expected)
        #expect(g.position == reference.position)
        #expect(g.next() == reference.next())
        let dropped = Double(out.filter { $0 == 0 }.count) / Double(n)
        #expect(abs(dropped - Double(p)) < 0.002)
    }

    /// Masks behave as independent draws with probability p: neighbours in one mask, the same
    /// position in successive masks and positions one apart across masks are dropped together
    /// p² of the time. At p = 0.2 a pair rate over 400,000 pairs has a standard error of 3e-4
    /// and the drop rate over 410,000 draws one of 6e-4; the bounds are about 10 and 5 of them
    /// (a generator that repeated its masks would pair 0.2 of the time, not 0.04).
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

    /// The C mask kernel gives exactly the Swift rule `nextUnitFloat() < p` draw by draw, for
    /// probabilities with p·2²⁴ whole (0.25, 0.5) or not (0.1, 0.3), p = 0 and 1, several
    /// lengths (100,000 is drawn in parts on all cores, each part from a jump ahead), and the
    /// fused product with x.
    @Test(arguments: [Float(0), 0.1, 0.25, 0.3, 0.5, 0.9, 1])
    func dropoutMaskKernelMatchesTheScalarRule(p: Float) {
        let g = Generator(seed: 4)
        for n in [1, 7, 33, 1000, 100_000] {
            let x = (0..<n).map { _ in g.uniform(-2, 2) }
            let kernel = Generator(seed: 21), reference = Generator(seed: 21)
            var mask = [Float](repeating: -1, count: n), out = [Float](repeating: -1, count: n)
            x.withUnsafeBufferPointer { xp in
                kernel.fillDropoutMask(&mask, count: n, p: p, applyingTo: xp.baseAddress, output: &out)
            }
            let keep: Float = p >= 1 ? 0 : 1 / (1 - p)
            let expected = (0..<n).map { _ in reference.nextUnitFloat() < p ? Float(0) : keep }
            #expect(mask == expected, "n \(n)")
            #expect(out == zip(x, expected).map { $0 * $1 }, "n \(n)")
            #expect(kernel.position == reference.position, "n \(n)")
        }
    }

    /// A jump ahead by k draws lands where k calls of `next()` do, for jumps shorter than,
    /// equal to and longer than the 256-word state, and for 0.
    @Test(arguments: [0, 1, 2, 255, 256, 257, 1000, 70_001])
    func jumpAheadLandsWhereTheDrawsDo(draws: Int) {
        let jumped = Generator(seed: 99), stepped = Generator(seed: 99)
        _ = jumped.next(); _ = stepped.next()
        jumped.advance(by: draws)
        for _ in 0..<draws { _ = stepped.next() }
        #expect(jumped.position == stepped.position)
        #expect(jumped.next() == stepped.next())
    }

    /// Masks drawn in parts continue the stream: two long masks in a row are the scalar
    /// rule's draws, and the generator ends where the draws do.
    @Test func partsOfLongMasksContinueTheStream() {
        let n = Generator.drawsPerPart * 2 * max(2, Parallel.coreCount) + 5
        let kernel = Generator(seed: 8), reference = Generator(seed: 8), p: Float = 0.3, keep = 1 / (1 - p)
        var mask = [Float](repeating: -1, count: n)
        for _ in 0..<2 {
            kernel.fillDropoutMask(&mask, count: n, p: p)
            let expected = (0..<n).map { _ in reference.nextUnitFloat() < p ? 0 : keep }
            #expect(mask == expected)
            #expect(kernel.position == reference.position)
        }
    }
}
