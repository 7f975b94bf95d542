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
        #expect(first.capacity == BufferPool.capacity(300_001))
        pool.give(first.0, capacity: first.capacity)
        // A slightly different size in the same class gets the freed buffer back; another class does not.
        let second = pool.take(300_017)
        #expect(second.0 == first.0)
        let third = pool.take(300_001)
        #expect(third.0 != first.0)
        pool.give(second.0, capacity: second.capacity)
        let large = pool.take(400_000)
        #expect(large.0 != first.0)
        for b in [third, large] { pool.give(b.0, capacity: b.capacity) }
        pool.drain()
    }

    /// A smaller request takes a free larger buffer up to twice its class, keeping that
    /// buffer's capacity; below half of it, it does not.
    @Test func smallerRequestsReuseLargerBuffers() {
        let pool = BufferPool()
        let big = pool.take(1 << 20)
        pool.give(big.0, capacity: big.capacity)
        let tooSmall = pool.take(450_000)  // class 458,752: under half of 2^20, a fresh buffer
        #expect(tooSmall.0 != big.0)
        let smaller = pool.take(600_000)
        #expect(smaller.0 == big.0 && smaller.capacity == 1 << 20)
        for b in [tooSmall, smaller] { pool.give(b.0, capacity: b.capacity) }
        pool.drain()
    }
}
