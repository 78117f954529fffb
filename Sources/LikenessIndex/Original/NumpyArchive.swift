import Foundation
import ZIPFoundation

/// A NumPy `.npz` file (`np.savez` or `np.savez_compressed`): a zip of `.npy` arrays, keyed by
/// the names they were saved under.
public enum NumpyArchive {
    /// Arrays larger than this are refused rather than inflated (a metadata file of a
    /// 10-million-face gallery stays far below it).
    public static let maxEntryBytes: UInt64 = 2 << 30

    public static func read(path: String) throws -> [String: NumpyArray] {
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw NumpyError("\(path) is not a .npz (zip) file: \(error)")
        }
        var arrays: [String: NumpyArray] = [:]
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            guard entry.uncompressedSize <= maxEntryBytes else {
                throw NumpyError("\(entry.path) in \(path) is \(entry.uncompressedSize) bytes, over the \(maxEntryBytes) this reader takes")
            }
            var data = Data()
            do {
                _ = try archive.extract(entry) { data.append($0) }
            } catch {
                throw NumpyError("\(entry.path) in \(path) cannot be read: \(error)")
            }
            do {
                arrays[String(entry.path.dropLast(4))] = try NumpyArray.parse([UInt8](data))
            } catch {
                throw NumpyError("\(entry.path) in \(path): \(error)")
            }
        }
        return arrays
    }
}
