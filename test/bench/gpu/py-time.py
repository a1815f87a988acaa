# Python's ONNX Runtime on the same models and machine, for reference beside the pod's figures:
# every provider of CUDA and CPU that the machine's package offers, batch 1 and 64, p50 of 50 runs.
# Usage: python3 py-time.py REPO
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

ROWS = {"mlp": (1024,), "convnet": (1, 28, 28), "ocr-cls": (3, 48, 192)}
WANTED = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]


def inputs(row, batch):
    return (np.arange(batch * int(np.prod(row)), dtype=np.float32) % 1000 / 1000).reshape(batch, *row)


for name, row in ROWS.items():
    path = f"{sys.argv[1]}/{name}/1/model.onnx"
    for provider in WANTED:
        try:
            s = ort.InferenceSession(path, providers=[provider])
        except Exception as e:  # noqa: BLE001 - the reason is the result
            print(f"python {name} {provider}: {str(e).splitlines()[0]}")
            continue
        feed = s.get_inputs()[0].name
        for batch in (1, 64):
            x = inputs(row, batch)
            for _ in range(3):
                s.run(None, {feed: x})
            times = []
            for _ in range(50):
                t0 = time.perf_counter()
                s.run(None, {feed: x})
                times.append((time.perf_counter() - t0) * 1000)
            print(f"python ort {name} {s.get_providers()[0]} batch {batch}: p50 {statistics.median(times):.3f} ms")
