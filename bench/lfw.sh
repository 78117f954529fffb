#!/usr/bin/env bash
# LFW DevTrain pairs through the release build. Each argument is one pack's `likeness embed`
# options; with none, the dlib pack and the two ONNX packs of ../shared/models run in turn.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product likeness >&2
if [ "$#" -eq 0 ]; then
  set -- "--pack dlib" \
    "--pack bench/packs/yunet-mobilefacenet.json --no-liveness" \
    "--pack bench/packs/scrfd500m-mobilefacenet.json --no-liveness"
fi
python3 bench/lfw.py .build/release/likeness "${SHARED_DIR:-../shared}/faces/lfw-devtrain" "$@"
