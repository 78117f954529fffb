#!/usr/bin/env bash
# An int8 MobileFaceNet (onnxruntime's static quantization, calibrated on 300 LFW faces aligned
# from Likeness's own landmarks) into bench/.cache, used by bench/packs/yunet-mobilefacenet-int8.json.
# Then: bench/lfw.sh "--pack bench/packs/yunet-mobilefacenet-int8.json --no-liveness" for the
# accuracy check (within 0.2 pp of float32, or the pack is not offered), and
# PACK=bench/packs/yunet-mobilefacenet-int8.json bench/e2e.sh for the speed.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED_DIR:-../shared}"
[ -x .build/release/likeness ] || swift build -c release --product likeness >&2
mkdir -p bench/.cache
ref="$(bench/onnx_reference_venv.sh)"
venv="${QUANT_VENV:-$(pwd)/bench/.venv-quant}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnx, sympy, onnxruntime.quantization" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q onnx onnxruntime sympy >&2
fi
# Calibration faces: every 10th LFW image (none of them is special), their first face.
# (awk stops counting itself: `| head` would end the pipeline with SIGPIPE, and pipefail the script.)
find "$shared/faces/lfw-devtrain" -name '*.jpg' | sort | awk 'NR % 10 == 0 && ++n <= 300' > bench/.cache/calibration.txt
.build/release/likeness detect --pack bench/packs/yunet-mobilefacenet.json --no-liveness --list bench/.cache/calibration.txt \
  > bench/.cache/calibration.jsonl 2>/dev/null || true
norm="$(python3 -c 'import json; r = json.load(open("bench/packs/yunet-mobilefacenet.json"))["recognizer"]["normalization"]; print(json.dumps(r["mean"]), json.dumps(r["std"]), str(r["rgb"]).lower(), sep="|")')"
IFS='|' read -r mean std rgb <<<"$norm"
"$ref" bench/quantize_crops.py bench/.cache/calibration.jsonl bench/.cache/calibration.npy "$mean" "$std" "$rgb"
"$venv/bin/python" bench/quantize_model.py "$shared/models/mobilefacenet_128.onnx" bench/.cache/calibration.npy \
  bench/.cache/mobilefacenet_128_int8.onnx
