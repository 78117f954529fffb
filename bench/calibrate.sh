#!/usr/bin/env bash
# Fits the similarity calibration of each pack and prints the open-set figures (bench/calibrate.py).
# Each argument is one pack's `likeness embed` options; with none, the dlib pack and the three
# bench packs run in turn. Embeddings are cached in bench/.cache (CALIBRATE_FRESH=1 redoes them).
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product likeness >&2
if [ "$#" -eq 0 ]; then
  set -- "--pack dlib" \
    "--pack bench/packs/yunet-mobilefacenet.json --no-liveness" \
    "--pack bench/packs/scrfd500m-mobilefacenet.json --no-liveness" \
    "--pack bench/packs/scrfd2.5g-mobilefacenet.json --no-liveness"
fi
python3 bench/calibrate.py .build/release/likeness "${SHARED_DIR:-../shared}/faces" "$@"
