import CDlib
import COpenCV

/// Pins the thread counts of the native libraries. On a small machine OpenBLAS, OpenMP and
/// OpenCV each starting a thread per core, on top of our own workers, oversubscribe the CPU
/// (DESIGN.md: a batch took 4-10x longer that way), so each gets one thread and parallelism
/// comes from running several images at once.
public enum NativeRuntime {
    private static let once: Void = {
        ldl_set_blas_threads(1)
        lcv_set_threads(1)
        lcv_quiet_logs()
    }()

    public static func configure() {
        _ = once
    }
}
