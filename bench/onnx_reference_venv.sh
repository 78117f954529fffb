#!/usr/bin/env bash
# Creates (once) the throwaway virtual environment of the Python reference for the ONNX packs:
# onnxruntime for the networks, OpenCV's Python wheel for decoding, resizing, warping and YuNet,
# onnx to free a model's pinned input size.
# Prints its python's path.
set -euo pipefail
venv="${ONNX_REFERENCE_VENV:-$(cd "$(dirname "$0")" && pwd)/.venv-onnx}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnx, onnxruntime, cv2, numpy; assert cv2.__version__.startswith('4.6')" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  # OpenCV 4.6 as Debian has it: FaceDetectorYN from 4.8 on only runs the 2023mar YuNet, and the
  # 4.6 wheel needs numpy 1.
  # onnx (before 1.17, which still runs on numpy 1) frees SCRFD's pinned input size.
  "$venv/bin/pip" install -q onnxruntime "opencv-python-headless==4.6.0.66" "numpy<2" "onnx<1.17" >&2
fi
echo "$venv/bin/python"
