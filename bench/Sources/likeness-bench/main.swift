// Benchmarks that need the library directly rather than the CLI. Never part of `swift test`.
//
//   likeness-bench leak IMAGE [ITERATIONS] [PACK]    decode + detect + embed (+ liveness) in a loop, printing RSS
//   likeness-bench index OUTDIR SIZES DIMS [FLAGS]   vector index figures (see bench/index_bench.sh)
//   likeness-bench crash-writer DBURL SNAPSHOT N     concurrent enrollment until killed (crash tests)
//   likeness-bench store DBURL FACES                 enrollment writes/s and start-up time
//   likeness-bench pgvector PGURL FACES DIM          pgvector HNSW against the in-process scans (bench/pgvector_bench.sh)
//   likeness-bench vision-check PACK|- IMAGES...     every feature on each image, for valgrind
//   likeness-bench throughput PACK|- THREADS ROUNDS IMAGES...   images/s with THREADS sharing one pipeline
import Foundation

let args = CommandLine.arguments
switch args.count >= 2 ? args[1] : "" {
case "leak" where args.count >= 3:
    try leak(image: args[2], iterations: args.count > 3 ? Int(args[3]) ?? 1000 : 1000, pack: args.count > 4 ? args[4] : nil)
case "index" where args.count >= 5:
    try indexBench(outDir: args[2], sizes: args[3].split(separator: ",").compactMap { Int($0) },
                   dims: args[4].split(separator: ",").compactMap { Int($0) }, flags: Set(args.dropFirst(5)))
case "crash-writer" where args.count >= 5:
    try await crashWriter(url: args[2], snapshot: args[3], clients: Int(args[4]) ?? 4)
case "snapshot" where args.count >= 5:
    try snapshotOnly(n: Int(args[2]) ?? 1_000_000, d: Int(args[3]) ?? 512, path: args[4])
case "vision-check" where args.count >= 3:
    visionCheck(pack: args[2] == "-" ? nil : args[2], images: Array(args.dropFirst(3)))
case "throughput" where args.count >= 6:
    try throughput(pack: args[2] == "-" ? nil : args[2], threads: Int(args[3]) ?? 1, rounds: Int(args[4]) ?? 1,
                   images: Array(args.dropFirst(5)))
case "shim-check":
    try shimCheck()
case "pgvector" where args.count >= 5:
    try await pgvectorBench(url: args[2], n: Int(args[3]) ?? 100_000, d: Int(args[4]) ?? 128)
case "store" where args.count >= 4:
    try await storeBench(url: args[2], faces: Int(args[3]) ?? 100_000)
default:
    print("usage: likeness-bench leak IMAGE [ITERATIONS] [PACK] | index OUTDIR SIZES DIMS [--no-hnsw-512]")
    exit(2)
}
