import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
@testable import LikenessServer
import LikenessTestSupport
import LikenessUseCases
import Testing

/// A request that spans a pack switch: its face was embedded by the model just switched out.
/// It is answered "send it again", never searched against, or stored under, the wrong model.
@Suite struct ModelSwitchTests {
    @Test func anEmbeddingOfTheModelSwitchedOutIsNeitherSearchedNorStored() async throws {
        let harness = Harness()
        let store = harness.store
        // The analyzer still makes "fake" embeddings; the index in service is already another recognizer's.
        let serving = ServingModel(.init(analyzer: FakeAnalyzer(), index: FakeIndex(source: store, recognizer: RecognizerID("next")),
                                         packName: "next"))
        try await harness.run(serving: serving) { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "A", "name": "Alice"}"#))
            let query = try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(query.status == .serviceUnavailable && errorCode(query) == "model_switching")
            #expect(query.headers[.retryAfter] == "1")
            let enrol = try await client.execute(uri: "/v1/people/A/faces", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(enrol.status == .serviceUnavailable && errorCode(enrol) == "model_switching")
            #expect(try await store.faceCount(recognizer: nil) == 0)

            // Once the analyzer in service is the index's, the same requests go through.
            serving.replace(with: .init(analyzer: FakeAnalyzer(), index: FakeIndex(source: store), packName: "fake"))
            let again = try await client.execute(uri: "/v1/people/A/faces", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(again.status == .created)
            let found = try object(try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                            body: Multipart.body([("file", image("FACE:alice"))])))
            #expect(((found["faces"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]])?.first?["class_id"] as? String == "A")
        }
    }

    /// A switch that lands while a query's image is analysed: the query is answered whole by the
    /// pack it started with (its analyzer, its index), with no error to retry.
    @Test func aQueryThatSpansASwitchIsAnsweredByThePackItStartedWith() async throws {
        let harness = Harness()
        let store = harness.store
        let index = harness.index
        let serving = ServingModel(.init(analyzer: FakeAnalyzer(), index: index, packName: "fake"))
        try await harness.run(serving: serving) { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: #"{"class_id": "A", "name": "Alice"}"#))
            let enrol = try await client.execute(uri: "/v1/people/A/faces", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(enrol.status == .created)

            let next = ServingModel.Current(analyzer: FakeAnalyzer(), index: FakeIndex(source: store, recognizer: RecognizerID("next")),
                                            packName: "next")
            serving.replace(with: .init(analyzer: SwitchingAnalyzer(serving: serving, next: next), index: index, packName: "fake"))
            let query = try await client.execute(uri: "/v1/identify", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", image("FACE:alice"))]))
            #expect(query.status == .ok)
            #expect(((try object(query)["faces"] as? [[String: Any]])?.first?["matches"] as? [[String: Any]])?.first?["class_id"] as? String == "A")
            #expect(serving.current.packName == "next")
        }
    }
}

/// Puts another pack in service in the middle of its own analysis, as a switch would.
private struct SwitchingAnalyzer: FaceAnalyzer {
    let serving: ServingModel
    let next: ServingModel.Current
    private let inner = FakeAnalyzer()

    var recognizer: RecognizerInfo { inner.recognizer }

    func analyzeNow(_ encoded: [UInt8], options: AnalysisOptions) throws -> ImageAnalysis {
        let analysis = try inner.analyzeNow(encoded, options: options)
        serving.replace(with: next)
        return analysis
    }
}
