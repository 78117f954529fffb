import Foundation
import Hummingbird

/// A model migration's progress, as `/v1/index` and `POST /v1/index/migrate` answer it.
struct MigrationDTO: ResponseCodable, Sendable {
    var pack: String
    var recognizer: String?
    /// loading, running, done, switching, switched or failed.
    var state: String
    var total: Int?
    var embedded: Int?
    var missed: Int?
    var remaining: Int?
    /// Faces this run embedded or missed (a run after a restart does only what was left).
    var processed: Int?
    var faces_per_second: Double?
    var seconds_left: Double?
    var error: String?
    var switch_when_done: Bool
    /// Faces moved to the new recognizer, once switched.
    var switched_faces: Int?

    init(_ s: MigrationRunner.Status) {
        switch_when_done = s.switchWhenDone
        switched_faces = s.switched
        pack = s.pack
        recognizer = s.target
        state = s.state.rawValue
        error = s.error
        if let r = s.report {
            total = r.progress.total
            embedded = r.progress.embedded
            missed = r.progress.missed
            remaining = r.progress.remaining
            processed = r.processed
            faces_per_second = (r.facesPerSecond * 10).rounded() / 10
            seconds_left = r.secondsLeft.map { $0.rounded() }
        }
    }
}
