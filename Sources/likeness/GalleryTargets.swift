import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LikenessCore
import LikenessIndex
import LikenessStore
import LikenessUseCases
import LikenessVision

/// What happened to one photo of a bulk enrolment.
enum EnrollResult: Sendable {
    case enrolled(facesInImage: Int)
    case skipped
    case noFace
    case refused(code: String, message: String)
}

/// Who is in one photo, as `likeness identify` prints it.
struct PhotoAnswer: Sendable {
    struct Face: Sendable {
        var box: [Double]
        var classID: String?
        var name: String?
        var similarity: Double?
    }

    var faces: [Face]
}

/// Where `likeness enroll` and `likeness identify` work: the database directly, or a running
/// server over its /v1 API.
protocol GalleryTarget: Sendable {
    /// SHA-256s of the photos enrolled for a person (empty when the person does not exist).
    func enrolledPhotos(of classID: String) async throws -> Set<String>
    func enroll(_ photo: [UInt8], filename: String, classID: String, name: String) async throws -> EnrollResult
    func identify(_ photo: [UInt8], filename: String) async throws -> PhotoAnswer
}

/// The database, through the same use cases as the server (quality checks, mislabel warnings,
/// the change log the server's index follows).
struct LocalGallery: GalleryTarget {
    let gallery: GalleryService

    init(pipeline: FacePipeline, databaseURL: String, dataDirectory: String, workers: Int) throws {
        let store = try SQLStore(databaseURL, connections: max(2, workers))
        let recognizer = pipeline.recognizer
        // The snapshot is only read: the server owns it.
        let index = try LiveIndex(loader: IndexLoader(recognizer: recognizer.id, dimension: recognizer.dimension,
                                                      snapshotPath: "\(dataDirectory)/index-\(recognizer.id.rawValue).snapshot"),
                                  source: store)
        let executors = WorkExecutors(inferenceWorkers: workers, inferenceQueue: 10_000)
        gallery = GalleryService(recognition: RecognitionService(analyzer: pipeline, gallery: store, index: index, executors: executors,
                                                                 settings: UseCaseSettings()))
    }

    func enrolledPhotos(of classID: String) async throws -> Set<String> {
        do {
            _ = try await gallery.person(classID)
        } catch DomainError.notFound {
            return []
        }
        return Set(try await gallery.faces(of: classID).map(\.imageSHA256))
    }

    func enroll(_ photo: [UInt8], filename: String, classID: String, name: String) async throws -> EnrollResult {
        do {
            let (_, analysis, _) = try await gallery.enroll(photo, classID: classID, createAs: name)
            return .enrolled(facesInImage: analysis.faces.count)
        } catch DomainError.noFace {
            return .noFace
        } catch let error as DomainError {
            return .refused(code: "refused", message: "\(error)")
        } catch let error as ImageError {
            return .refused(code: error.code, message: error.message)
        }
    }

    func identify(_ photo: [UInt8], filename: String) async throws -> PhotoAnswer {
        let result = try await gallery.recognition.identify(photo, k: 1)
        return PhotoAnswer(faces: result.matches.map { match in
            let box = match.face.detection.box
            let best = match.candidates.first
            return PhotoAnswer.Face(box: [box.x, box.y, box.width, box.height], classID: best?.person.classID, name: best?.person.name,
                                    similarity: best.map { Double($0.similarity) })
        })
    }
}

/// A running server, with a token or API key of an operator.
struct RemoteGallery: GalleryTarget {
    let base: URL
    let token: String?

    struct Failure: Error, CustomStringConvertible {
        var status: Int
        var code: String
        var message: String
        var description: String { "HTTP \(status) \(code): \(message)" }
    }

    private func call(_ method: String, _ path: String, json: [String: String]? = nil,
                      file: (name: String, bytes: [UInt8])? = nil) async throws -> (Int, Any?) {
        var request = URLRequest(url: base.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = 120
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        } else if let file {
            let boundary = "likeness-\(UUID().uuidString)"
            request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
            var body = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(file.name.replacingOccurrences(of: "\"", with: "_"))\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            body.append(contentsOf: file.bytes)
            body.append(Data("\r\n--\(boundary)--\r\n".utf8))
            request.httpBody = body
        }
        // 503 (the server's queue, or this client's share of it, is full) is retried: quickly at
        // first, then no more often than the server's Retry-After asks, for about two minutes.
        var wait = 0.1
        var waited = 0.0
        while true {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            let status = http?.statusCode ?? 0
            guard status == 503, waited < 120 else { return (status, try? JSONSerialization.jsonObject(with: data)) }
            let asked = (http?.value(forHTTPHeaderField: "Retry-After")).flatMap(Double.init) ?? 2
            try await Task.sleep(for: .seconds(wait))
            waited += wait
            wait = min(wait * 2, asked)
        }
    }

    private func failure(_ status: Int, _ body: Any?) -> Failure {
        let error = (body as? [String: Any])?["error"] as? [String: Any]
        return Failure(status: status, code: error?["code"] as? String ?? "http_\(status)", message: error?["message"] as? String ?? "")
    }

    /// A path segment for a class id, which may hold '/' or spaces.
    private func segment(_ classID: String) -> String {
        classID.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? classID
    }

    func enrolledPhotos(of classID: String) async throws -> Set<String> {
        let (status, body) = try await call("GET", "v1/people/\(segment(classID))/faces")
        if status == 404 { return [] }
        guard status == 200, let faces = body as? [[String: Any]] else { throw failure(status, body) }
        return Set(faces.compactMap { $0["image_sha256"] as? String })
    }

    func enroll(_ photo: [UInt8], filename: String, classID: String, name: String) async throws -> EnrollResult {
        let (created, body) = try await call("POST", "v1/people", json: ["class_id": classID, "name": name])
        guard created == 201 || created == 409 else { throw failure(created, body) }
        let (status, answer) = try await call("POST", "v1/people/\(segment(classID))/faces", file: (filename, photo))
        if status == 201, let results = (answer as? [String: Any])?["results"] as? [[String: Any]], let first = results.first {
            return .enrolled(facesInImage: first["faces_in_image"] as? Int ?? 1)
        }
        let error = failure(status, answer)
        switch (status, error.code) {
        case (422, "no_face"): return .noFace
        case (400..<500, _) where status != 401 && status != 403 && status != 429: return .refused(code: error.code, message: error.message)
        default: throw error
        }
    }

    func identify(_ photo: [UInt8], filename: String) async throws -> PhotoAnswer {
        let (status, body) = try await call("POST", "v1/identify", file: (filename, photo))
        guard status == 200, let faces = (body as? [String: Any])?["faces"] as? [[String: Any]] else {
            let error = failure(status, body)
            if error.code == "no_face" { return PhotoAnswer(faces: []) }
            throw error
        }
        return PhotoAnswer(faces: faces.map { face in
            let best = (face["matches"] as? [[String: Any]])?.first
            let box = (face["box"] as? [Double]) ?? []
            return PhotoAnswer.Face(box: box, classID: best?["class_id"] as? String, name: best?["name"] as? String,
                                    similarity: best?["similarity"] as? Double)
        })
    }
}
