import LikenessCore

/// One vector of the original system's FAISS index, with the person it belongs to.
public struct OriginalFace: Sendable, Equatable {
    public var classID: String
    /// The original's id for the vector (its image id).
    public var imageID: Int64
    public var vector: [Float]

    public init(classID: String, imageID: Int64, vector: [Float]) {
        self.classID = classID
        self.imageID = imageID
        self.vector = vector
    }
}

/// What an original deployment holds: its people table and its vectors.
public struct OriginalGallery: Sendable {
    public var people: [PersonImport]
    public var faces: [OriginalFace]

    public init(people: [PersonImport], faces: [OriginalFace]) {
        self.people = people
        self.faces = faces
    }
}

/// What an import did.
public struct OriginalImportReport: Sendable, Equatable {
    public var peopleInserted = 0
    public var peopleUpdated = 0
    /// Class ids the vectors name but neither the people table nor the gallery has: created
    /// with the class id as name.
    public var peopleWithoutRow = 0
    public var facesAdded = 0
    /// Vectors imported by an earlier run (same person, same vector), left as they are.
    public var facesSkipped = 0
    /// Vectors that were not unit length in the original (normalised on the way in).
    public var facesRenormalized = 0
    /// Vectors that cannot be searched (zero, NaN or infinite), left out.
    public var facesRejected = 0

    public init() {}
}

/// Brings an original deployment's gallery into Likeness: people upserted by class id, vectors
/// added as faces under the recognizer that made them. Idempotent: a vector already imported
/// for its person (recognised by a hash of its bytes, kept where an enrolled face keeps its
/// image's hash) is skipped, so an interrupted import is run again to finish.
public struct OriginalImporter: Sendable {
    public let gallery: any GalleryStore

    public init(gallery: any GalleryStore) { self.gallery = gallery }

    /// The hash that stands for an imported vector's image: the original kept no image, so
    /// the vector's own bytes (and its original id) are what identifies it.
    static func contentHash(_ face: OriginalFace) -> String {
        var bytes: [UInt8] = Array("likeness-import:\(face.imageID):".utf8)
        for v in face.vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return TokenService.sha256Hex(bytes)
    }

    public func run(_ original: OriginalGallery, recognizer: RecognizerID, batch: Int = 1_000,
                    progress: @Sendable (_ done: Int, _ total: Int) -> Void = { _, _ in }) async throws -> OriginalImportReport {
        var report = OriginalImportReport()
        var rows = original.people
        let named = Set(rows.map(\.classID))
        // A person the table lacks is created once, named by the class id; a later run leaves
        // the name an operator may have given them since.
        for classID in Set(original.faces.map(\.classID)).subtracting(named).sorted()
        where try await gallery.person(classID: classID) == nil {
            rows.append(PersonImport(classID: classID, name: classID, info: ""))
            report.peopleWithoutRow += 1
        }
        if !rows.isEmpty {
            (report.peopleInserted, report.peopleUpdated) = try await gallery.importPeople(rows)
        }

        var pending: [FaceForPerson] = []
        var known: [String: Set<String>] = [:]
        for (n, face) in original.faces.enumerated() {
            let norm = face.vector.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            guard norm.isFinite, norm > 0 else {
                report.facesRejected += 1
                continue
            }
            if abs(norm - 1) > 1e-3 { report.facesRenormalized += 1 }
            let hash = Self.contentHash(face)
            if known[face.classID] == nil {
                known[face.classID] = Set(try await gallery.faces(classID: face.classID).map(\.imageSHA256))
            }
            if known[face.classID]!.contains(hash) {
                report.facesSkipped += 1
                continue
            }
            known[face.classID]!.insert(hash)
            pending.append(FaceForPerson(classID: face.classID, face: NewFace(
                embedding: Embedding(recognizer: recognizer, raw: face.vector),
                box: BoundingBox(x: 0, y: 0, width: 0, height: 0), detectionScore: 0, imageSHA256: hash)))
            if pending.count >= batch {
                report.facesAdded += try await gallery.addFaces(pending).count
                pending.removeAll(keepingCapacity: true)
                progress(n + 1, original.faces.count)
            }
        }
        if !pending.isEmpty { report.facesAdded += try await gallery.addFaces(pending).count }
        progress(original.faces.count, original.faces.count)
        return report
    }
}
