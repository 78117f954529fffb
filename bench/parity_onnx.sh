#!/usr/bin/env bash
# Builds likeness (release) and compares its ONNX packs (YuNet, SCRFD-500M, SCRFD-2.5G, each with
# MobileFaceNet and MiniFASNet from ../shared/models) with the Python reference.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product likeness >&2
py="$(bench/onnx_reference_venv.sh)"
"$py" bench/parity_onnx.py .build/release/likeness "${SHARED_DIR:-../shared}" \
  bench/packs/yunet-mobilefacenet.json bench/packs/scrfd500m-mobilefacenet.json bench/packs/scrfd2.5g-mobilefacenet.json
