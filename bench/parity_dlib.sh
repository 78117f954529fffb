#!/usr/bin/env bash
# Builds likeness (release) and compares its dlib pipeline with the Python reference.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product likeness >&2
py="$(bench/reference_venv.sh)"
"$py" bench/parity_dlib.py .build/release/likeness "${SHARED_DIR:-../shared}"
