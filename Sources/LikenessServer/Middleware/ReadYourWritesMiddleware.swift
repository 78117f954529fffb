import Hummingbird
import LikenessCore
import Synchronization

/// Read-your-writes for each account, whichever copy answers its searches: a write answers the
/// change-log position it reached (`Likeness-Position`), and the account's later searches on this
/// server reflect at least that position; a client that moves between servers sends the position
/// back (`Likeness-Min-Position`) and gets the same guarantee there.
final class ReadYourWritesMiddleware: RouterMiddleware, Sendable {
    typealias Context = LikenessRequestContext

    /// Accounts remembered; past it the table starts again (a forgotten account reads from
    /// whatever has caught up, as one that never wrote).
    static let capacity = 100_000

    private let lastWrite = Mutex<[Int64: Int64]>([:])

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let account = context.identity?.accountID
        let asked = request.headers[.likenessMinPosition].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }.map { max(0, $0) }
        let known = account.flatMap { id in lastWrite.withLock { $0[id] } }
        let floor = [asked, known].compactMap { $0 }.max()
        let writes = WriteRecord()
        var response = try await ReadConsistency.$floor.withValue(floor) {
            try await ReadConsistency.$writes.withValue(writes) { try await next(request, context) }
        }
        if let position = writes.position {
            if let account {
                lastWrite.withLock { table in
                    if table.count >= Self.capacity { table.removeAll(keepingCapacity: true) }
                    table[account] = max(table[account] ?? position, position)
                }
            }
            response.headers[.likenessPosition] = String(position)
        }
        return response
    }
}
