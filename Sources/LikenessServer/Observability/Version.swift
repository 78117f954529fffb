/// The release, for `/metrics`'s build info, `/v1/index` and `likeness --version`.
public enum LikenessVersion {
    public static let current = "0.9.0"
}
