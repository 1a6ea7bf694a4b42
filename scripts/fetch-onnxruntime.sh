#!/usr/bin/env bash
# Fetches the ONNX Runtime shared library from the `onnxruntime` wheel on PyPI (no other network
# needed) and prints the ORT_DYLIB_PATH to export for `--features ort` builds.
#   eval "$(scripts/fetch-onnxruntime.sh)"     # sets ORT_DYLIB_PATH in this shell
set -euo pipefail
version="${ORT_VERSION:-1.32.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${ORT_CACHE:-$root/.cache/onnxruntime-$version}"
lib="$dest/onnxruntime/capi/libonnxruntime.so.$version"
if [ ! -f "$lib" ]; then
  mkdir -p "$dest"
  python3 -m pip download --quiet --no-deps --only-binary=:all: "onnxruntime==$version" -d "$dest" >&2
  wheel="$(ls "$dest"/onnxruntime-"$version"-*.whl | head -n 1)"
  python3 -m zipfile -e "$wheel" "$dest" >&2
fi
[ -f "$lib" ] || { echo "no $lib in the wheel" >&2; exit 1; }
echo "export ORT_DYLIB_PATH=$lib"
