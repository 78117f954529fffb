// swift-tools-version:6.0
import Foundation
import PackageDescription

// Native code is compiled with optimisation even in debug builds: dlib's HOG and DNN templates
// are 10-50x slower at -O0, which would make the real-model tests crawl.
let nativeFlags: [CXXSetting] = [
    .unsafeFlags(["-O2", "-std=c++17", "-fexceptions", "-I/usr/include/opencv4"]),
    .define("DLIB_DISABLE_ASSERTS"),
    // A second fatal error inside dlib (while handling the first) must throw, not abort.
    .define("DLIB_NO_ABORT_ON_2ND_FATAL_ERROR"),
    .define("NDEBUG"),
]

// ONNX Runtime, as scripts/setup.sh installs it: the library from PyPI's wheel, the C header
// from Debian 13's libonnxruntime-dev.
let onnxRuntime = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("third_party/onnxruntime").path

let package = Package(
    name: "Likeness",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "likeness", targets: ["likeness"]),
        .library(name: "LikenessCore", targets: ["LikenessCore"]),
        .library(name: "LikenessVision", targets: ["LikenessVision"]),
        .library(name: "LikenessIndex", targets: ["LikenessIndex"]),
        .library(name: "LikenessStore", targets: ["LikenessStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.2.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.8.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
        // Reads the original deployment's .npz metadata (a zip of .npy arrays) for import-original.
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .target(name: "LikenessCore"),
        .target(
            name: "COpenCV",
            path: "Sources/CShims/COpenCV",
            cxxSettings: nativeFlags,
            linkerSettings: [
                .linkedLibrary("opencv_core"), .linkedLibrary("opencv_imgproc"),
                .linkedLibrary("opencv_imgcodecs"), .linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_objdetect"),
                .linkedLibrary("jpeg"),
            ]
        ),
        .target(
            name: "CONNXRuntime",
            path: "Sources/CShims/CONNXRuntime",
            cSettings: [.unsafeFlags(["-O2", "-I\(onnxRuntime)/include"])],
            linkerSettings: [.unsafeFlags(["-L\(onnxRuntime)/lib", "-lonnxruntime", "-Xlinker", "-rpath", "-Xlinker", "\(onnxRuntime)/lib"])]
        ),
        .target(
            name: "CDlib",
            path: "Sources/CShims/CDlib",
            cxxSettings: nativeFlags,
            linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("openblas")]
        ),
        .target(
            name: "CKernels",
            path: "Sources/CShims/CKernels",
            cSettings: [.unsafeFlags(["-O3"])],
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .target(
            name: "CFaiss",
            path: "Sources/CShims/CFaiss",
            cxxSettings: nativeFlags,
            linkerSettings: [
                .linkedLibrary("faiss"), .linkedLibrary("gomp"), .linkedLibrary("lapack"), .linkedLibrary("openblas"),
            ]
        ),
        .target(
            name: "LikenessIndex",
            dependencies: [
                "LikenessCore", "CKernels", "CFaiss",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),
        .systemLibrary(name: "CSQLite", path: "Sources/CShims/CSQLite"),
        .systemLibrary(name: "CMariaDB", path: "Sources/CShims/CMariaDB"),
        // libpq, the PostgreSQL client library (libpq-dev): synchronous, like the other two, so
        // all three run on the store's own threads.
        .systemLibrary(name: "CPostgres", path: "Sources/CShims/CPostgres"),
        .target(
            name: "LikenessStore",
            dependencies: ["LikenessCore", "CSQLite", "CMariaDB", "CPostgres"]
        ),
        // The use cases (recognition, gallery, accounts) over the LikenessCore protocols, with
        // domain errors: no HTTP in here.
        .target(
            name: "LikenessUseCases",
            dependencies: [
                "LikenessCore",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Turns the web console's files into Swift source at build time (the EmbedConsole plugin).
        .executableTarget(name: "embed-assets"),
        .plugin(name: "EmbedConsole", capability: .buildTool(), dependencies: ["embed-assets"]),
        .target(
            name: "LikenessServer",
            dependencies: [
                "LikenessCore", "LikenessUseCases",
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["Console"],
            plugins: ["EmbedConsole"]
        ),
        .target(
            name: "LikenessVision",
            dependencies: ["LikenessCore", "COpenCV", "CDlib", "CONNXRuntime", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .executableTarget(
            name: "likeness",
            dependencies: [
                "LikenessCore", "LikenessVision", "LikenessStore", "LikenessIndex", "LikenessServer", "LikenessUseCases",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "likeness-bench",
            dependencies: ["LikenessCore", "LikenessVision", "LikenessIndex", "LikenessStore", "CKernels"],
            path: "bench/Sources/likeness-bench"
        ),
        // Fakes behind the LikenessCore protocols, vector generators: shared by the test targets.
        .target(name: "LikenessTestSupport", dependencies: ["LikenessCore"], path: "Tests/LikenessTestSupport"),
        .testTarget(name: "LikenessCoreTests", dependencies: ["LikenessCore"]),
        .testTarget(
            name: "LikenessServerTests",
            dependencies: [
                "LikenessServer", "LikenessUseCases", "LikenessCore", "LikenessVision", "LikenessStore", "LikenessIndex", "LikenessTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // MultipartKit only as an oracle: well-formed bodies must parse as it parses them.
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "LikenessStoreTests", dependencies: ["LikenessStore", "LikenessIndex", "LikenessCore", "LikenessTestSupport"]),
        .testTarget(name: "LikenessIndexTests", dependencies: ["LikenessIndex", "LikenessCore", "CKernels", "LikenessTestSupport"]),
        .testTarget(name: "LikenessVisionTests", dependencies: ["LikenessVision", "LikenessCore", "LikenessTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
