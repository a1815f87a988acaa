# A ceiling for what a CUDA session could give on this GPU, where no ONNX Runtime CUDA provider
# runs: the generated models' few operators (Gemm, Relu, Softmax, Conv, MaxPool, Flatten) evaluated
# with PyTorch from the ONNX file's own weights, checked against ONNX Runtime on CPU, then timed
# with the input copied in and the output copied out per run, as a pod would. Not the pod's path.
# Usage: python3 torch-ref.py REPO
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

ROWS = {"mlp": (1024,), "convnet": (1, 28, 28)}


def interpret(graph, weights, x):
    env = dict(weights)
    env[graph.input[0].name] = x
    for n in graph.node:
        a = [env[i] for i in n.input]
        at = {t.name: helper.get_attribute_value(t) for t in n.attribute}
        op = n.op_type
        if op == "Gemm":
            if at.get("transA", 0) or at.get("transB", 0) or at.get("alpha", 1.0) != 1.0 or at.get("beta", 1.0) != 1.0:
                raise ValueError(f"Gemm attributes not handled: {at}")
            y = a[0] @ a[1] + a[2]
        elif op == "Relu":
            y = torch.relu(a[0])
        elif op == "Softmax":
            y = torch.softmax(a[0], dim=at.get("axis", -1))
        elif op == "Conv":
            y = F.conv2d(a[0], a[1], a[2], padding=at["pads"][0])
        elif op == "MaxPool":
            y = F.max_pool2d(a[0], at["kernel_shape"], at["strides"])
        elif op == "Flatten":
            y = torch.flatten(a[0], at.get("axis", 1))
        else:
            raise ValueError(f"operator {op} not handled")
        env[n.output[0]] = y
    return env[graph.output[0].name]


def p50(f, n=50):
    for _ in range(5):
        f()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


dev = torch.device("cuda")
print(f"torch {torch.__version__} on {torch.cuda.get_device_name(0)}, TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")
for name, row in ROWS.items():
    path = f"{sys.argv[1]}/{name}/1/model.onnx"
    try:
        m = onnx.load(path)
        w = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()).to(dev) for i in m.graph.initializer}
        cpu = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        for batch in (1, 64):
            x = (np.arange(batch * int(np.prod(row)), dtype=np.float32) % 1000 / 1000).reshape(batch, *row)
            want = cpu.run(None, {cpu.get_inputs()[0].name: x})[0]

            def once():
                with torch.inference_mode():
                    return interpret(m.graph, w, torch.from_numpy(x).to(dev)).cpu().numpy()

            diff = float(np.abs(once() - want).max())
            xd = torch.from_numpy(x).to(dev)

            def on_device():
                with torch.inference_mode():
                    interpret(m.graph, w, xd)
                torch.cuda.synchronize()

            print(
                f"torch {name} cuda batch {batch}: p50 {p50(once):.3f} ms with copies, "
                f"{p50(on_device):.3f} ms on the device alone; max |diff| vs ORT CPU {diff:.2e}"
            )
    except Exception as e:  # noqa: BLE001 - the reason is the result
        print(f"torch {name}: {type(e).__name__}: {e}")
