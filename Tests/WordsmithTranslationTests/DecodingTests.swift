import Foundation
import Testing
import WordsmithEngine
import WordsmithModels
@testable import WordsmithTranslation

struct DecodingTests {
    /// A small random model; pre-norm and tied embeddings in some cases to cover both paths.
    func model(normFirst: Bool = false, tied: Bool = false, seed: UInt64 = 7) -> Seq2SeqTransformer {
        let c = Seq2SeqConfig(sourceVocab: 13, targetVocab: 11, dModel: 16, heads: 2, encoderLayers: 2, decoderLayers: 2,
                              feedForward: 32, dropout: 0.1, normFirst: normFirst, tiedTargetEmbedding: tied)
        let m = Seq2SeqTransformer(c, generator: Generator(seed: seed))
        m.eval()
        return m
    }

    let sources: [[Int32]] = [[4, 5, 6], [7, 8, 9, 10, 11, 12], [4], [12, 11, 10, 9]]

    @Test(arguments: [false, true])
    func cachedStepsGiveTheFullDecodersLogits(normFirst: Bool) {
        let m = model(normFirst: normFirst)
        let src = IndexTensor(shape: [4, 2], values: [4, 7, 5, 8, 2, 9, 0, 2])  // second column longer, first padded
        let tgt = IndexTensor(shape: [5, 2], values: [1, 1, 6, 3, 7, 4, 8, 5, 9, 6])
        withNoGrad {
            let memory = m.encode(src)
            let mask = m.paddingMask(src)
            let full = m.decode(tgt, memory: memory, sourcePaddingMask: mask)  // [5, 2, 11]
            let caches = m.makeDecoderCaches(memory: memory)
            for t in 0..<5 {
                let step = m.decodeStep(IndexTensor(shape: [1, 2], values: [tgt.values[2 * t], tgt.values[2 * t + 1]]),
                                        caches: caches, sourcePaddingMask: mask).logits
                for i in 0..<22 { #expect(abs(step.data[i] - full.data[t * 22 + i]) < 1e-5) }
            }
        }
    }

    @Test func cachedAndUncachedGreedyDecodingAgree() {
        for tied in [false, true] {
            let m = model(tied: tied)
            m.generator.bias?.data[Int(ParallelCorpus.eos)] -= 3  // fewer immediate <eos>: longer outputs to compare
            let t = Translator(model: m)
            let batched = t.greedy(sources)
            #expect(batched.map(\.tokens.count).reduce(0, +) > 8)  // the outputs are not trivially empty
            for (s, h) in zip(sources, batched) {
                #expect(h.tokens == t.greedyWithoutCache(s))
                #expect(h.tokens == t.greedy([s])[0].tokens)  // batching with padding changes nothing
            }
        }
    }

    @Test func beamOneIsGreedy() {
        for seed: UInt64 in [1, 2, 3] {
            let t = Translator(model: model(seed: seed))
            for s in sources {
                let g = t.greedy([s], withAttention: true)[0]
                let b = t.beamSearch(s, beam: 1, withAttention: true)
                #expect(b.tokens == g.tokens)
                #expect(abs(b.logProbability - g.logProbability) < 1e-9)
                #expect(b.attention == g.attention)
            }
        }
    }

    @Test func wideBeamStaysWithinTheLengthLimit() {
        let t = Translator(model: model(seed: 5))
        for s in sources {
            let b = t.beamSearch(s, beam: 5, lengthPenalty: 0)
            #expect(b.tokens.count <= Translator.maxLength(forSource: s.count))
            #expect(b.logProbability.isFinite && b.logProbability <= 0)
        }
    }

    @Test func attentionRowsAreDistributionsOverTheSource() {
        let t = Translator(model: model())
        let h = t.beamSearch([4, 5, 6], beam: 3, withAttention: true)
        #expect(h.attention.count == h.tokens.count + (h.finished ? 1 : 0))
        for row in h.attention {
            #expect(row.count == 4)  // three source tokens and <eos>
            #expect(abs(row.reduce(0, +) - 1) < 1e-4)
        }
    }

    @Test func topKeepsTheLargestWithLowerIndexFirstOnTies() {
        let x: [Float] = [0.1, 0.5, 0.3, 0.5, -1]
        x.withUnsafeBufferPointer { p in
            let top = Translator.top(p.baseAddress!, 5, count: 3)
            #expect(top.map(\.0) == [1, 3, 2])
            #expect(Translator.argmax(p.baseAddress!, 5) == 1)
        }
    }
}
