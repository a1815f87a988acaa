#!/usr/bin/env bash
# The GPU check on a GPU machine (docs/DATAPLANE.md, "GPU"), from the bundle bundle.sh writes:
# what the machine has (GPU, Node, Python's ONNX Runtime and its providers, CUDA provider
# libraries), then the pod's session worker and a real pod asking for CUDA, timed against CPU,
# with Python's ONNX Runtime and (where PyTorch sees a GPU) PyTorch beside them for reference.
# Everything printed also goes to $OUT/gpu-check.txt. Usage: bash driver.sh [RUNS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/gpu-check-out}
runs=${1:-50}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.txt") 2>&1
step() { printf '\n== %s (%s)\n' "$1" "$(date -u +%T)"; }

step machine
date -u
uname -srm
grep PRETTY_NAME /etc/os-release
echo "cores: $(nproc)"
nvidia-smi -L || echo 'no nvidia-smi'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "node on the machine: $(command -v node || echo none) $(node --version 2>/dev/null)"
echo "xz: $(command -v xz || echo none)"

step "python onnxruntime"
python3 -c 'import onnxruntime as o; print(o.__version__, o.get_available_providers(), o.get_device())' || true
python3 -m pip list 2>/dev/null | grep -i -E '^(onnxruntime|nvidia-(cudnn|cublas|cuda-runtime))' || true

step "ONNX Runtime and CUDA libraries on disk"
libs=$(timeout 90 find / \( -path /proc -o -path /sys -o -path /dev -o -path "$here" \) -prune -o \
  \( -name 'libonnxruntime*' -o -name 'onnxruntime_pybind11_state*' -o -name 'libcudart.so*' \
  -o -name 'libcublasLt.so*' -o -name 'libcudnn.so*' \) -print 2>/dev/null | sort)
echo "$libs"
cuda_ep=$(echo "$libs" | grep 'libonnxruntime_providers_cuda' | head -1)
echo "CUDA provider library: ${cuda_ep:-none found}"

step unpack
work=/tmp/sy-gpu-check
. "$here/unpack.sh"
unpack_bundle
echo "bundled node $("$node" --version)"
ortdir=$work/sy/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
# Every folder holding a CUDA runtime, cuBLAS or cuDNN library, so a provider finds them.
LD_LIBRARY_PATH=$(echo "$libs" | grep -E 'libcudart|libcublasLt|libcudnn' | xargs -r -n1 dirname | sort -u | paste -sd:)
export LD_LIBRARY_PATH
echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
if [ -n "$cuda_ep" ]; then
  d=$(dirname "$cuda_ep")
  cp "$cuda_ep" "$ortdir/libonnxruntime_providers_cuda.so"
  if [ -f "$d/libonnxruntime_providers_shared.so" ]; then cp "$d/libonnxruntime_providers_shared.so" "$ortdir/"; fi
  echo "copied the CUDA provider from $d; its unresolved libraries:"
  ldd "$ortdir/libonnxruntime_providers_cuda.so" | grep 'not found' || echo '  none'
fi
ls -la "$ortdir"

step "session worker: cuda then cpu, batch 1 and 64"
(cd "$work/sy/app/js" && timeout 150 "$node" check.mjs --repo "$work/repo" --ocr "$work/sy/ocr-cls.onnx" --runs "$runs" --budget-ms 3000)

step "pod with every config asking for cuda"
"$node" "$work/sy/app/js/pod.mjs" pod --model-repo "$work/repo" --http-port 18000 --grpc-port 18001 \
  --metrics-port 18002 --log-format json >"$out/pod.log" 2>&1 &
pod=$!
(cd "$work/sy/app/js" && timeout 90 "$node" check.mjs --repo "$work/repo-pod" --ocr "$work/sy/ocr-cls.onnx" --runs 10 --pod http://127.0.0.1:18000)
kill "$pod" 2>/dev/null
wait "$pod" 2>/dev/null
grep -E 'cuda|ready in|fail|error' "$out/pod.log" | head -20

step "python onnxruntime, same models and machine (reference)"
timeout 90 python3 "$here/py-time.py" "$work/repo" || true

if python3 -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' 2>/dev/null; then
  step "PyTorch on the GPU from the same weights (a ceiling, not the pod's path)"
  timeout 90 python3 "$here/torch-ref.py" "$work/repo" || true
fi

# With the provider bridge library present, ONNX Runtime names the next one it cannot load.
shared=$(echo "$libs" | grep 'libonnxruntime_providers_shared.so$' | head -1)
if [ -z "$cuda_ep" ] && [ -n "$shared" ]; then
  step "session worker with $shared beside libonnxruntime.so"
  cp "$shared" "$ortdir/"
  (cd "$work/sy/app/js" && timeout 60 "$node" check.mjs --repo "$work/repo-shared" --ocr "$work/sy/ocr-cls.onnx" \
    --runs 3 --budget-ms 100 2>&1 | grep -E 'requested cuda|Failed|rror' | head -6)
fi
step done
