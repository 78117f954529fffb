import Foundation

/// What a username and a password may be, decided once for registration and login alike.
///
/// Usernames are compared after NFC normalisation and lowercasing, and may hold no white space
/// or control characters: otherwise `admin\u{0}x` (which SQLite's C API cuts at the NUL) or
/// `admin ` (equal to `admin` under MariaDB's PAD SPACE collation) would reach the same account
/// while counting as a different key in the login throttle.
public enum CredentialPolicy {
    public static let maxUsernameBytes = 64
    public static let passwordBytes = 8...72  // bcrypt reads at most 72 bytes

    /// The canonical form of a username, or nil if it can never be one.
    public static func username(_ raw: String) -> String? {
        let canonical = raw.precomposedStringWithCanonicalMapping.lowercased()
        guard !canonical.isEmpty, canonical.utf8.count <= maxUsernameBytes,
              canonical.unicodeScalars.allSatisfy({ !isControl($0) && !$0.properties.isWhitespace }) else { return nil }
        return canonical
    }

    /// Passwords may hold spaces and any script, but no control characters: bcrypt's C code
    /// stops at a NUL, so `secret\u{0}anything` would equal `secret`.
    public static func isAcceptable(password: String) -> Bool {
        passwordBytes.contains(password.utf8.count) && password.unicodeScalars.count >= 8
            && !password.unicodeScalars.contains(where: isControl)
    }

    /// C0 and C1 controls, DEL, and the invisible format characters (zero-width joiners,
    /// direction overrides) that make two names look alike.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned: return true
        default: return false
        }
    }

    /// Ids sent by clients (class_id, names): no control characters.
    public static func isPrintable(_ text: String) -> Bool {
        !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}
