#!/usr/bin/env bash
# The dataplane benchmark (pod against the lean server and raw session.run) on a machine with no
# Node.js or checkout, from the bundle bundle.sh writes: on a many-core machine the load
# generator, the pod and the lean server no longer share two cores, which separates what the
# pod's design costs from what contention does (docs/DATAPLANE.md, "Against the lean server").
# Its output and results/dataplane.json go to $OUT. Usage: bash dataplane.sh [WINDOWS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-/tmp/dataplane-out}
mkdir -p "$out"
exec > >(tee "$out/dataplane.txt") 2>&1
work=/tmp/sy-dataplane
. "$here/unpack.sh"
unpack_bundle
echo "cores: $(nproc); node $("$node" --version); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
js=$work/sy/app/js
# A second build's pod (bundle.sh with ALT_ROOT) is the `alt` row.
alt=$work/sy/app/alt/pod.mjs
if [ -f "$alt" ]; then export BENCH_ALT_BIN=$alt; fi
(cd "$js" && BENCH_WINDOWS=${1:-3} BENCH_POD_BIN="$js/pod.mjs" BENCH_LEAN_BIN="$js/lean.mjs" \
  timeout 540 "$node" dataplane.mjs)
rc=$?
cp "$js/results/dataplane.json" "$out/" 2>/dev/null
exit $rc
