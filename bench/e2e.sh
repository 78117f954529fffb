#!/usr/bin/env bash
# End-to-end, side by side in one run: the original stack's reference (../shared/seedstack:
# FastAPI + onnxruntime + faiss-cpu) and `likeness serve`, on the same models (YuNet 2022mar +
# MobileFaceNet 128-d), the same 200 LFW identities and probes, the same gallery sizes (grown with
# synthetic vectors through each server's /api/bulk_vectors) and the same load client
# (seedstack's loadtest.py): face_query at concurrency 1, 4 and 16. For each gallery size it
# prints every run and Likeness's ratios to the best reference configuration; then a bounded
# soak of Likeness at 80% of its measured throughput prints RSS over time. Loopback only.
# ROUNDS (3) rounds, each running the two reference configurations and then Likeness, so that
# the machine's slow minutes fall on all of them alike; the summary gives each round's ratios
# and their medians.
#   bench/e2e.sh [LIKENESS_BINARY]         (default .build/release/likeness, built if absent)
# env: GALLERIES ("10000 1000000"), ROUNDS (3), CONC ("1,4,16"), REQS ("200,400,800"), ENROLL (200),
#      INDEX (auto), WORKERS (cores), SOAK (seconds, 180; 0 skips), SEEDSTACK_DIR, FACES_DIR,
#      PACK (bench/packs/yunet-mobilefacenet.json; int8: bench/packs/yunet-mobilefacenet-int8.json)
set -euo pipefail
cd "$(dirname "$0")/.."
seed="${SEEDSTACK_DIR:-../shared/seedstack}"
faces="${FACES_DIR:-../shared/faces}"
bin="${1:-.build/release/likeness}"
if [ ! -x "$bin" ]; then source scripts/find-swift.sh; swift build -c release --product likeness >&2; fi
out="$(mktemp -d)"
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$out"; }
trap cleanup EXIT
export CONC="${CONC:-1,4,16}" REQS="${REQS:-200,400,800}" ENROLL="${ENROLL:-200}"
port="${LIKENESS_E2E_PORT:-18791}"
base="http://127.0.0.1:$port"
bash "$seed/setup.sh" >&2

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }

galleries="${GALLERIES:-10000 1000000}"
rounds="${ROUNDS:-3}"

# One Likeness round at the current gallery size: start the server, grow, wait for the index,
# measure. The server is left running (pid, token) for the soak.
likeness_round() {
  local result="$1" data="$out/likeness-data-$gallery"
  rm -rf "$data"
  # One load client stands for many clients here, so no per-client share; no liveness (the
  # reference has none); the same pack files; no request timeout for the bulk load.
  LIKENESS_DATA_DIR="$data" LIKENESS_MODEL_DIR="$(pwd)/data/models" "$bin" serve --port "$port" \
    --pack "${PACK:-bench/packs/yunet-mobilefacenet.json}" --per-client-inference 0 --queue 64 ${WORKERS:+--workers "$WORKERS"} \
    --index "${INDEX:-auto}" --allow-bulk-vectors true --request-timeout 0 >"$out/likeness.log" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 150); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
  curl -sf -X POST "$base/api/register" -H 'Content-Type: application/json' -d '{"username": "e2e", "password": "e2e-password"}' >/dev/null
  token="$(curl -sf -X POST "$base/api/login" -H 'Content-Type: application/json' \
    -d '{"username": "e2e", "password": "e2e-password"}' | json '["access_token"]')"
  # Grow first, then wait for the approximate index the setting builds at that size (auto
  # builds HNSW past 64 M scanned floats; hnsw and ivf always), so no build runs during the
  # measured phases; loadtest.py then enrols the real people into it and tops the gallery up
  # to the same total as the reference's.
  local t0 t1 t2 dim approximate
  t0=$(date +%s.%N)
  curl -sf -X POST "$base/api/bulk_vectors" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"n\": $((gallery - ENROLL)), \"seed\": 1000}" >/dev/null
  t1=$(date +%s.%N)
  dim="$(curl -sf "$base/v1/index" -H "Authorization: Bearer $token" | json '["dimension"]')"
  case "${INDEX:-auto}" in
    hnsw|ivf) approximate=1 ;;
    auto) approximate=$(( (gallery - ENROLL) * dim > 64 * 1024 * 1024 ? 1 : 0 )) ;;
    *) approximate=0 ;;
  esac
  while :; do
    kind="$(curl -sf "$base/v1/index" -H "Authorization: Bearer $token" | json '["index_type"]')"
    if [ "$approximate" = 0 ] || [ "${kind#exact}" = "$kind" ]; then break; fi
    sleep 5
  done
  t2=$(date +%s.%N)
  echo "e2e: likeness grew to $((gallery - ENROLL)) in $(python3 -c "print(round($t1 - $t0, 1))") s; index $kind ready in $(python3 -c "print(round($t2 - $t1, 1))") s" >&2
  python3 "$seed/loadtest.py" --url "$base" --token "$token" --dataset "$faces/lfw-devtrain" --enroll "$ENROLL" --gallery "$gallery" \
    --concurrency "$CONC" --requests "$REQS" --server-pid "$pid" --timeout 900 --out "$result" >/dev/null
}

stop_likeness() {
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  rm -rf "$out/likeness-data-$gallery"
}

for gallery in $galleries; do
  export GALLERY="$gallery"
  results=()
  # Rounds alternate the three servers, so that a noisy minute on this shared machine falls on
  # one round of each rather than on one server's whole measurement; the summary prints every
  # round and the median of the rounds' ratios.
  for round in $(seq 1 "$rounds"); do
    # The reference's two best configurations for this pack (its RESULTS.md): one worker with two
    # intra-op threads (latency), two workers with one each and no spinning (throughput).
    echo "e2e: gallery $gallery, round $round/$rounds: reference, 1 worker x 2 intra-op threads" >&2
    PACK=yunet WORKERS=1 INTRA_OP_THREADS=2 OUT="$out/ref-1x2-$round.json" bash "$seed/bench.sh" --timeout 900 >/dev/null
    echo "e2e: gallery $gallery, round $round/$rounds: reference, 2 workers x 1 thread, no spinning" >&2
    PACK=yunet WORKERS=2 INTRA_OP_THREADS=1 ORT_ALLOW_SPINNING=0 OUT="$out/ref-2x1-$round.json" bash "$seed/bench.sh" --timeout 900 >/dev/null
    echo "e2e: gallery $gallery, round $round/$rounds: likeness ($bin, index ${INDEX:-auto})" >&2
    likeness_round "$out/likeness-$round.json"
    results+=("$out/ref-1x2-$round.json" "$out/ref-2x1-$round.json" "$out/likeness-$round.json")
    [ "$round" = "$rounds" ] || stop_likeness
  done
  echo "== gallery $gallery (likeness index: $kind) =="
  python3 bench/e2e_summary.py "${results[@]}"
  if [ "$gallery" = "${galleries%% *}" ] && [ "${SOAK:-180}" != 0 ]; then
    rate="$(python3 -c "import json; r = json.load(open('$out/likeness-$rounds.json'))['runs']; print(0.8 * max(p['throughput_rps'] for p in r))")"
    python3 bench/e2e_soak.py --url "$base" --token "$token" --pid "$pid" --rate "$rate" --seconds "${SOAK:-180}" \
      --probes "$faces/lfw-devtrain"
  fi
  stop_likeness
done
