import Testing
@testable import WordsmithEngine

@Suite("Buffer pool")
struct BufferPoolTests {
    @Test func sizeClassesAreAQuarterOfAPowerOfTwoApart() {
        let small = BufferPool.minimumPooledCount - 1
        #expect(BufferPool.capacity(small) == small)  // below the pool: exact
        #expect(BufferPool.capacity(0) == 1)
        #expect(BufferPool.capacity(1 << 20) == 1 << 20)
        #expect(BufferPool.capacity((1 << 20) + 1) == (1 << 20) + (1 << 18))
        #expect(BufferPool.capacity(700 * 33_278) == 25_165_824)  // 1.5 · 2^24
        for count in stride(from: BufferPool.minimumPooledCount, to: 50_000_000, by: 99_991) {
            let c = BufferPool.capacity(count)
            #expect(c >= count && Double(c) <= 1.25 * Double(count), "\(count) -> \(c)")
            #expect(BufferPool.capacity(c) == c)  // a class maps to itself
        }
    }

    @Test func buffersOfOneClassAreReused() {
        let pool = BufferPool()  // a private pool: other tests running in parallel share the global one
        let first = pool.take(300_001)
        pool.give(first, 300_001)
        // A slightly different size in the same class gets the freed buffer back; another class does not.
        let second = pool.take(300_017)
        #expect(second == first)
        let third = pool.take(300_001)
        #expect(third != first)
        pool.give(second, 300_017)
        let large = pool.take(400_000)
        #expect(large != first)
        pool.give(third, 300_001)
        pool.give(large, 400_000)
        pool.drain()
    }
}
