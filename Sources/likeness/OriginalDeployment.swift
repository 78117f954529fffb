import Foundation
import LikenessCore
import LikenessIndex
import LikenessStore
import LikenessUseCases

/// An original deployment's files, read into one gallery: the people table from its MySQL
/// database, the vectors from its FAISS index file, and the `.npz` beside the index that says
/// whose each vector is. The layout is README's "Importing an original deployment".
struct OriginalDeployment {
    var gallery: OriginalGallery
    var dimension: Int?
    var isInnerProduct = true

    static let idKeys = ["ids", "image_ids", "faiss_ids"]
    static let classKeys = ["class_ids", "class_id", "labels"]

    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    static func load(mysql: String?, table: String, index: String?, metadata: String?) throws -> OriginalDeployment {
        var people = try mysql.map { try OriginalPeopleTable.read(url: $0, table: table) } ?? []
        guard let index else {
            return OriginalDeployment(gallery: OriginalGallery(people: people, faces: []), dimension: nil)
        }
        let file = try FAISSFile.read(path: index)
        let metadataPath = metadata ?? ((index as NSString).deletingPathExtension + ".npz")
        guard FileManager.default.fileExists(atPath: metadataPath) else {
            throw Problem(description: "no metadata file \(metadataPath): pass --metadata with the .npz that maps the index's ids to class ids")
        }
        let arrays = try NumpyArchive.read(path: metadataPath)
        func array(_ keys: [String]) -> NumpyArray? { keys.lazy.compactMap { arrays[$0] }.first }
        guard let classes = array(classKeys)?.texts else {
            throw Problem(description: "\(metadataPath) has no class id array (one of \(classKeys.joined(separator: ", "))); it has \(arrays.keys.sorted().joined(separator: ", "))")
        }
        let names = array(["names", "name"])?.texts, infos = array(["infos", "info"])?.texts
        for extra in [names, infos].compactMap({ $0 }) where extra.count != classes.count {
            throw Problem(description: "\(metadataPath): names and infos must have one entry per class id (\(classes.count)), found \(extra.count)")
        }
        // The row of the metadata that describes each vector: by id where the file keeps ids,
        // else by position.
        var rowOfID: [Int64: Int] = [:]
        if let ids = array(idKeys) {
            guard let values = ids.integers, values.count == classes.count else {
                throw Problem(description: "\(metadataPath): the id array must hold integers, one per class id (\(classes.count))")
            }
            for (row, id) in values.enumerated() { rowOfID[id] = row }
        } else {
            guard classes.count == file.count else {
                throw Problem(description: "\(metadataPath) has no id array and \(classes.count) class ids for the index's \(file.count) vectors")
            }
            for row in 0..<file.count { rowOfID[file.labels[row]] = row }
        }
        var faces: [OriginalFace] = []
        faces.reserveCapacity(file.count)
        var unlabelled: [Int64] = []
        for i in 0..<file.count {
            guard let row = rowOfID[file.labels[i]], !classes[row].isEmpty else {
                unlabelled.append(file.labels[i])
                continue
            }
            faces.append(OriginalFace(classID: classes[row], imageID: file.labels[i], vector: Array(file.vector(at: i))))
        }
        guard unlabelled.isEmpty else {
            throw Problem(description: "\(unlabelled.count) vectors of \(index) have no class id in \(metadataPath) (ids \(unlabelled.prefix(5).map(String.init).joined(separator: ", "))...); nothing was imported")
        }
        // Names and infos from the metadata stand in for people the table lacks.
        if names != nil || infos != nil {
            var listed = Set(people.map(\.classID))
            for (row, classID) in classes.enumerated() where !classID.isEmpty && !listed.contains(classID) {
                people.append(PersonImport(classID: classID, name: names?[row] ?? classID, info: infos?[row] ?? ""))
                listed.insert(classID)
            }
        }
        return OriginalDeployment(gallery: OriginalGallery(people: people, faces: faces), dimension: file.dimension,
                                  isInnerProduct: file.isInnerProduct)
    }
}
