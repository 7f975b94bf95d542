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
}
