#!/usr/bin/env bash
# Creates (once) the throwaway virtual environment of the Python reference for the ONNX packs:
# onnxruntime for the networks, OpenCV's Python wheel for decoding, resizing, warping and YuNet.
# Prints its python's path.
set -euo pipefail
venv="${ONNX_REFERENCE_VENV:-$(cd "$(dirname "$0")" && pwd)/.venv-onnx}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnxruntime, cv2, numpy" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q onnxruntime "opencv-python-headless<4.11" numpy >&2
fi
echo "$venv/bin/python"
