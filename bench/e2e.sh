#!/usr/bin/env bash
# End-to-end, side by side in one run: the original stack's reference (../shared/seedstack:
# FastAPI + onnxruntime + faiss-cpu) and `likeness serve`, on the same models (YuNet 2022mar +
# MobileFaceNet 128-d), the same 200 LFW identities and probes, the same gallery growth and the
# same load client (seedstack's loadtest.py): face_query at concurrency 1 and 4. Prints each run
# and the ratios. Loopback only; bounded by request counts.
#   bench/e2e.sh [LIKENESS_BINARY]         (default .build/release/likeness, built if absent)
# env: SEEDSTACK_DIR, FACES_DIR, ENROLL (200), GALLERY (10000), REQS ("200,400"), WORKERS (cores),
#      PACK (bench/packs/yunet-mobilefacenet.json; the int8 pack: bench/packs/yunet-mobilefacenet-int8.json)
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${SEEDSTACK_DIR:-../shared/seedstack}"
faces="${FACES_DIR:-../shared/faces}"
bin="${1:-.build/release/likeness}"
[ -x "$bin" ] || swift build -c release --product likeness >&2
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
load=(--dataset "$faces/lfw-devtrain" --enroll "${ENROLL:-200}" --gallery "${GALLERY:-10000}" --concurrency 1,4 --requests "${REQS:-200,400}")

bash "$seed/setup.sh" >&2
# The reference's two best configurations for this pack (its RESULTS.md): one worker with two
# intra-op threads (latency), two workers with one each and no spinning (throughput).
echo "e2e: reference, 1 worker x 2 intra-op threads" >&2
PACK=yunet WORKERS=1 INTRA_OP_THREADS=2 OUT="$out/ref-1x2.json" bash "$seed/bench.sh" >/dev/null
echo "e2e: reference, 2 workers x 1 thread, no spinning" >&2
PACK=yunet WORKERS=2 INTRA_OP_THREADS=1 ORT_ALLOW_SPINNING=0 OUT="$out/ref-2x1.json" bash "$seed/bench.sh" >/dev/null

echo "e2e: likeness ($bin)" >&2
port="${LIKENESS_E2E_PORT:-18791}"
data="$out/likeness-data"
# One load client stands for many clients here, so no per-client share; no liveness (the
# reference has none); the same pack files.
LIKENESS_DATA_DIR="$data" LIKENESS_MODEL_DIR="$(pwd)/data/models" "$bin" serve --port "$port" \
  --pack "${PACK:-bench/packs/yunet-mobilefacenet.json}" --per-client-inference 0 --queue 64 ${WORKERS:+--workers "$WORKERS"} \
  >"$out/likeness.log" 2>&1 </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$out"' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
curl -sf -X POST "http://127.0.0.1:$port/api/register" -H 'Content-Type: application/json' \
  -d '{"username": "e2e", "password": "e2e-password"}' >/dev/null
token="$(curl -sf -X POST "http://127.0.0.1:$port/api/login" -H 'Content-Type: application/json' \
  -d '{"username": "e2e", "password": "e2e-password"}' | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')"
python3 "$seed/loadtest.py" --url "http://127.0.0.1:$port" --token "$token" "${load[@]}" --server-pid "$pid" \
  --out "$out/likeness.json" >/dev/null
python3 bench/e2e_summary.py "$out/ref-1x2.json" "$out/ref-2x1.json" "$out/likeness.json"
