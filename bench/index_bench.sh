#!/usr/bin/env bash
# Vector index figures: exact scan (float32/float16/int8) against the read-bandwidth floor,
# FAISS IndexFlatIP through our shim and through Python's faiss-cpu, batch throughput, HNSW and
# IVF-PQ recall and latency, memory per vector, snapshot write/load at the largest size.
#   bench/index_bench.sh [SIZES] [DIMS] [FLAGS]     default: 100000,1000000 128,512 --no-hnsw-512
# HNSW building in Debian's FAISS (baseline x86-64, scalar distances) takes ~17 minutes at
# 1,000,000 x 512 on 2 cores, hence --no-hnsw-512 by default; pass "" as FLAGS to include it.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes="${1:-100000,1000000}"; dims="${2:-128,512}"; flags="${3---no-hnsw-512}"
out="${BENCH_OUT:-$(mktemp -d)}"
trap 'rm -f "$out"/*.f32' EXIT
swift build -c release --product likeness-bench >&2
.build/release/likeness-bench index "$out" "$sizes" "$dims" $flags
venv="$(pwd)/bench/.venv-faiss"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import faiss" 2>/dev/null; then
  python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q faiss-cpu numpy >&2
fi
"$venv/bin/python" bench/index_faiss_python.py "$out"
# Snapshot write and load at 1,000,000 x 512 on their own (the run above loads right after
# building several indexes, with the page cache under pressure).
.build/release/likeness-bench snapshot 1000000 512 "$out/snapshot.bin"
