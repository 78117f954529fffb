import Hummingbird
import LikenessCore
import LikenessUseCases

/// Health, readiness and the OpenAPI document (open to anyone), and `/v1/index`.
struct SystemController: Sendable {
    typealias Context = LikenessRequestContext
    let accounts: AccountService
    let gallery: GalleryService
    let executors: WorkExecutors
    let serving: ServingModel
    let migration: MigrationRunner?
    let startedAt = ContinuousClock.now

    func addRoutes(to root: RouterGroup<Context>, v1: RouterGroup<Context>) {
        root.get("healthz", use: health)
            .get("readyz", use: ready)
            .get("openapi.json", use: openAPI)
        v1.group().add(middleware: RequireRole.viewer)
            .get("index", use: index)
            .get("system", use: system)
        v1.group().add(middleware: RequireRole.admin)
            .post("index/rebuild", use: rebuild)
            .post("index/optimize", use: optimize)
            .post("index/migrate", use: migrate)
            .post("index/switch", use: switchPack)
    }

    struct MigrateRequest: Decodable {
        var to: String
        /// Switch to the pack as soon as every face is embedded or missed.
        var `switch`: Bool?
    }

    struct SwitchRequest: Decodable {
        var to: String
    }

    private func packName(_ to: String) throws -> String {
        guard !to.isEmpty, to.utf8.count <= 1024 else { throw APIError.badRequest("invalid_pack", "'to' names a pack: a name or a pack file") }
        return to
    }

    /// Starts re-embedding the gallery with another pack in the background (see `likeness migrate`).
    @Sendable func migrate(_ request: Request, context: Context) async throws -> EditedResponse<MigrationDTO> {
        guard let migration else {
            throw APIError(.notImplemented, "migration_unavailable", "this server cannot migrate models; use `likeness migrate`")
        }
        let body = try await request.decode(as: MigrateRequest.self, context: context)
        let started = try await migration.start(pack: try packName(body.to), switchWhenDone: body.switch ?? false)
        return EditedResponse(status: .accepted, response: MigrationDTO(started))
    }

    /// Serves the gallery under another pack now: its migration must be complete. The pack is
    /// recorded in the database, so the server starts with it next time too.
    @Sendable func switchPack(_ request: Request, context: Context) async throws -> MigrationDTO {
        guard let migration else {
            throw APIError(.notImplemented, "switch_unavailable", "this server cannot switch packs; use `likeness migrate --switch`")
        }
        let body = try await request.decode(as: SwitchRequest.self, context: context)
        return MigrationDTO(try await migration.switchNow(pack: try packName(body.to)))
    }

    struct Status: ResponseCodable {
        var status: String
        var faces: String?
    }

    @Sendable func health(_ request: Request, context: Context) async throws -> Status { Status(status: "ok") }

    @Sendable func ready(_ request: Request, context: Context) async throws -> Status {
        guard await accounts.isReachable() else {
            throw APIError(.serviceUnavailable, "not_ready", "the database is not reachable", retryAfter: 5)
        }
        return Status(status: "ready", faces: String(await gallery.indexStatus.count))
    }

    @Sendable func openAPI(_ request: Request, context: Context) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }

    struct SystemDTO: ResponseCodable {
        struct ModelFile: Codable {
            var role: String
            var file: String
            var licence: String?
            var restricted: Bool
        }
        struct Executor: Codable {
            var name: String
            var threads: Int
            var running: Int
            var queued: Int
            var queue_limit: Int
        }
        var version: String
        var pack: String
        var recognizer: String
        var dimension: Int
        var models: [ModelFile]
        var people: Int
        var faces: Int
        var executors: [Executor]
        var uptime_seconds: Double
        var liveness_available: Bool
        var attributes_available: Bool
    }

    /// What the console's system page shows: what runs, under which licences, and how busy it is.
    @Sendable func system(_ request: Request, context: Context) async throws -> SystemDTO {
        let recognition = gallery.recognition
        let people = try await gallery.people(offset: 0, limit: 1, search: nil).total
        let load = [executors.inference, executors.index, executors.passwords].map { e in
            let l = e.load
            return SystemDTO.Executor(name: e.name, threads: e.threadCount, running: l.running, queued: l.waiting,
                                      queue_limit: e.queueLimit == Int.max ? -1 : e.queueLimit)
        }
        let uptime = startedAt.duration(to: .now)
        let current = serving.current
        return SystemDTO(version: LikenessVersion.current, pack: current.packName, recognizer: recognition.recognizer.id.rawValue,
                         dimension: recognition.recognizer.dimension,
                         models: current.packFiles.map { .init(role: $0.role, file: $0.file, licence: $0.licence,
                                                       restricted: $0.restricted) },
                         people: people, faces: await gallery.indexStatus.count, executors: load,
                         uptime_seconds: uptime.inSeconds,
                         liveness_available: recognition.capabilities.liveness, attributes_available: recognition.capabilities.attributes)
    }

    @Sendable func index(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        var status = IndexStatusDTO(await gallery.indexStatus)
        status.migration = await migration?.current.map(MigrationDTO.init)
        return status
    }

    @Sendable func rebuild(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        try await gallery.rebuildIndex()
        return IndexStatusDTO(await gallery.indexStatus)
    }

    struct OptimizeRequest: Decodable {
        var kind: String?
    }

    /// Switches the kind, or rebuilds the current one (retraining IVF for the gallery's size).
    @Sendable func optimize(_ request: Request, context: Context) async throws -> IndexStatusDTO {
        // No body (or no content type): rebuild the current kind.
        let body = request.headers[.contentType] == nil ? nil : try await request.decode(as: OptimizeRequest.self, context: context)
        var kind: IndexKind?
        if let name = body?.kind {
            guard let parsed = IndexKind(setting: name) else {
                throw APIError.badRequest("invalid_kind", "kind must be one of \(IndexKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = parsed
        }
        try await gallery.rebuildIndex(kind: kind)
        return IndexStatusDTO(await gallery.indexStatus)
    }
}
