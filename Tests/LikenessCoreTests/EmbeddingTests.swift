import LikenessCore
import Testing

@Suite struct EmbeddingTests {
    let id = RecognizerID("test")

    @Test func normalisesToUnitLength() {
        let e = Embedding(recognizer: id, raw: [3, 4])
        #expect(abs(e.vector[0] - 0.6) < 1e-6 && abs(e.vector[1] - 0.8) < 1e-6)
    }

    @Test func zeroVectorStaysZero() {
        let e = Embedding(recognizer: id, raw: [0, 0, 0])
        #expect(e.vector == [0, 0, 0])
        #expect(e.similarity(to: Embedding(recognizer: id, raw: [1, 0, 0])) == 0)
    }

    @Test func similarityIsCosine() throws {
        let a = Embedding(recognizer: id, raw: [1, 0])
        let b = Embedding(recognizer: id, raw: [1, 1])
        let s = try #require(a.similarity(to: b))
        #expect(abs(s - 0.70710677) < 1e-6)
    }

    @Test func differentRecognizersAreNotComparable() {
        let a = Embedding(recognizer: id, raw: [1, 0])
        let b = Embedding(recognizer: RecognizerID("other"), raw: [1, 0])
        #expect(a.similarity(to: b) == nil)
        #expect(a.similarity(to: Embedding(recognizer: id, raw: [1, 0, 0])) == nil)
    }
}

@Suite struct GeometryTests {
    @Test func iouOfIdenticalAndDisjointBoxes() {
        let a = BoundingBox(x: 0, y: 0, width: 10, height: 10)
        #expect(a.iou(a) == 1)
        #expect(a.iou(BoundingBox(x: 20, y: 20, width: 5, height: 5)) == 0)
        #expect(abs(a.iou(BoundingBox(x: 5, y: 0, width: 10, height: 10)) - 50.0 / 150.0) < 1e-12)
    }
}

@Suite struct StageTimingsTests {
    @Test func keepsOrderAndAddsRepeats() {
        var t = StageTimings()
        t.add("decode", 1)
        t.add("detect", 2)
        t.add("decode", 3)
        #expect(t.stages.map(\.name) == ["decode", "detect"])
        #expect(t["decode"] == 4)
        #expect(t.total == 6)
    }
}
