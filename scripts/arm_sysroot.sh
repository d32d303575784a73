#!/usr/bin/env bash
# Unpacks the arm64 libonnx-dev (with libonnx1 and libonnxifi, which it needs) into a private
# sysroot folder for the aarch64 cross build (cmake/aarch64-linux-gnu.cmake reads it).
#
# Why not apt: libonnx-dev:arm64 depends on libonnxifi:arm64, which ships /usr/lib/libonnxifi.so
# (outside the multiarch folder) with different content than the amd64 package, so dpkg refuses
# to install both. We only need its CMake package and symlinks; the headers are the same as the
# amd64 ones, and the runtime libraries (libonnx1:arm64) are installed with apt.
#
# Usage: scripts/arm_sysroot.sh [DIR]   (default build-arm/sysroot). Idempotent: does nothing
# when DIR already holds the version apt offers. Needs the arm64 architecture enabled in dpkg
# and apt's package lists (scripts/setup.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-${ONNXEDGE_ARM_SYSROOT:-build-arm/sysroot}}"
PKGS=(libonnx-dev:arm64 libonnx1:arm64 libonnxifi:arm64)

version="$(apt-cache policy libonnx-dev:arm64 | awk '/Candidate:/ {print $2}')"
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  echo "arm_sysroot: apt knows no libonnx-dev:arm64 (run scripts/setup.sh first)" >&2
  exit 2
fi
stamp="$DIR/.onnxedge-sysroot"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$version" ]; then
  exit 0
fi

echo "arm_sysroot: unpacking ${PKGS[*]} ($version) into $DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current folder; _apt cannot write into a private mktemp
# folder, so let it run unsandboxed there.
(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "${PKGS[@]/%/=$version}" >/dev/null)
rm -rf "$DIR"
mkdir -p "$DIR"
for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$DIR"; done
test -f "$DIR/usr/lib/aarch64-linux-gnu/cmake/ONNX/ONNXConfig.cmake"
echo "$version" >"$stamp"
