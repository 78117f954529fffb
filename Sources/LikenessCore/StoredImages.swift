/// How much the gallery keeps of its uploads: face crops (needed by model migrations, kept for
/// the life of their face) and uploaded originals (`--store-originals`, under retention).
public struct StoredImageUsage: Sendable, Equatable {
    public var crops: Int
    public var originals: Int
    public var originalBytes: Int64

    public init(crops: Int = 0, originals: Int = 0, originalBytes: Int64 = 0) {
        self.crops = crops
        self.originals = originals
        self.originalBytes = originalBytes
    }
}

/// How long originals are kept and how much room they may take; nil is no limit.
public struct OriginalRetention: Sendable, Equatable {
    /// Originals stored longer ago than this are deleted (their faces stay).
    public var maxAgeSeconds: Int64?
    /// Beyond this many bytes of originals, the oldest are deleted until the rest fit.
    public var budgetBytes: Int64?

    public init(maxAgeSeconds: Int64? = nil, budgetBytes: Int64? = nil) {
        self.maxAgeSeconds = maxAgeSeconds
        self.budgetBytes = budgetBytes
    }

    public var isUnlimited: Bool { maxAgeSeconds == nil && budgetBytes == nil }
}

/// What one purge deleted.
public struct OriginalPurge: Sendable, Equatable {
    public var expired = 0
    public var overBudget = 0
    public var bytes: Int64 = 0

    public init(expired: Int = 0, overBudget: Int = 0, bytes: Int64 = 0) {
        self.expired = expired
        self.overBudget = overBudget
        self.bytes = bytes
    }
}
