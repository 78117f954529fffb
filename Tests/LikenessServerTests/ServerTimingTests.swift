import Foundation
import Hummingbird
import HummingbirdTesting
import LikenessCore
import Testing

@testable import LikenessServer

/// The `Server-Timing` header: each stage a request's work went through, with its time.
@Suite struct ServerTimingTests {
    @Test func aQueryAnswersItsStagesAndAListingNone() async throws {
        try await Harness().run { client in
            let (_, oper, viewer) = try await tokens(client)
            _ = try await client.execute(uri: "/v1/people", method: .post, headers: jsonHeaders(oper),
                                         body: ByteBuffer(string: "{\"class_id\": \"P1\", \"name\": \"Ann\"}"))
            let added = try await client.execute(uri: "/api/add_embedding", method: .post, headers: Multipart.headers(oper),
                                                 body: Multipart.body([("class_id", "P1"), ("file", image("FACE:ann"))]))
            #expect(added.status == .created)
            // The fake analyzer reports its detection as 1 ms; the search and the look-up are timed for real.
            #expect(added.headers[.serverTiming]?.hasPrefix("detect;dur=1.0") == true)

            let query = try await client.execute(uri: "/api/face_query", method: .post, headers: Multipart.headers(viewer),
                                                 body: Multipart.body([("file", image("FACE:ann2"))]))
            #expect(query.status == .ok)
            let header = try #require(query.headers[.serverTiming])
            let stages = header.split(separator: ", ").map { $0.split(separator: ";") }
            #expect(stages.map { String($0[0]) } == ["detect", "search", "store"])
            for stage in stages {
                let duration = try #require(stage.count == 2 && stage[1].hasPrefix("dur=") ? Double(stage[1].dropFirst(4)) : nil)
                #expect(duration >= 0)
            }

            let listing = try await client.execute(uri: "/v1/people", method: .get, headers: jsonHeaders(viewer))
            #expect(listing.status == .ok)
            #expect(listing.headers[.serverTiming] == nil)
        }
    }

    @Test func stagesAreSummedAndRoundedToHundredths() {
        var timings = StageTimings()
        timings.add("decode", 0.314159)
        timings.add("embed", 2)
        timings.add("embed", 1.5)
        #expect(ServerTimingMiddleware.header(timings) == "decode;dur=0.31, embed;dur=3.5")
        #expect(ServerTimingMiddleware.header(StageTimings()) == nil)
    }
}
