import Hummingbird
import LikenessUseCases

/// The original stack's benchmark endpoint, `POST /api/bulk_vectors {"n", "seed"}`: grows the
/// gallery with synthetic people so a load test can search a production-sized gallery without
/// photos. Off unless `--allow-bulk-vectors`: it writes real rows, which no production
/// gallery wants by accident. Admins only.
struct BulkVectorsController: Sendable {
    typealias Context = LikenessRequestContext
    let gallery: GalleryService

    func addRoutes(to api: RouterGroup<Context>) {
        api.group().add(middleware: RequireRole.admin)
            .post("bulk_vectors", use: bulkVectors)
    }

    struct BulkRequest: Decodable {
        var n: Int
        var seed: Int?
    }

    struct BulkAnswer: ResponseCodable {
        var added: Int
        var first_id: Int64?
        var ntotal: Int
    }

    @Sendable func bulkVectors(_ request: Request, context: Context) async throws -> BulkAnswer {
        let body = try await request.decode(as: BulkRequest.self, context: context)
        let seed = body.seed ?? 0
        guard seed >= 0 else { throw APIError.badRequest("invalid_seed", "seed must be a non-negative integer") }
        let load = try await gallery.addSyntheticPeople(count: body.n, seed: UInt64(seed))
        return BulkAnswer(added: load.added, first_id: load.firstFaceID, ntotal: load.total)
    }
}
