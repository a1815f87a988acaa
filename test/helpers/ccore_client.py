#!/usr/bin/python3
"""A proxyless gRPC C-core client (python3-grpcio) for the test suites.

The bootstrap comes from GRPC_XDS_BOOTSTRAP_CONFIG. Commands arrive one JSON object per line on
stdin and each gets one JSON line on stdout, so one process serves a whole scenario and runs its
RPC loops itself:

  {"op": "send", "target": "xds:///m", "n": 200, "concurrency": 16, "headers": {...},
   "timeout": 5, "wait_for_ready": true}        -> {"byVersion", "byPod", "failures", "errors"}
  {"op": "start", "target": ..., "concurrency": 8, "headers": {...}}  -> {"started": true}
  {"op": "stop"}                                                     -> the tally since start
  {"op": "connect", "target": ..., "timeout": 5}  -> {"state": "READY" | "TIMEOUT"}
  {"op": "close_channels"}  -> {"closed": n}  (their xDS subscriptions end with them)
  {"op": "live", "target": ..., "timeout": 5}  -> {"ok": true} or {"ok": false, "code", "details"}
      (KServe v2 ServerLive on a pod: empty request, `bool live = 1` back)

"send" and "start" take an optional "method" (a full method name) and "payload" (the request,
base64): then each call sends those bytes and a success counts in "succeeded" only (the pods
tally who served it), e.g. KServe v2 ModelInfer on real ONNX pods.

With CCORE_XDS_CREDENTIALS=1 channels use xDS channel credentials (gRFC A29: the clusters'
transport sockets decide TLS, with the bootstrap's file_watcher certificate providers;
plaintext where a cluster has none).
  {"op": "exit"}

It calls switchyard.demo.v1.DemoBackend/Predict, whose messages are small enough to encode by
hand (no generated stubs: grpcio-tools is not assumed): PredictRequest {string model = 1} and
PredictResponse {string model = 1; string version = 2; string pod = 3}.
"""

import base64
import json
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import grpc
import grpc.experimental

METHOD = "/switchyard.demo.v1.DemoBackend/Predict"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_request(model):
    data = model.encode()
    return b"\x0a" + varint(len(data)) + data


def read_varint(buf, i):
    """The varint at buf[i], and the offset just past it."""
    value = 0
    shift = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def decode_response(buf):
    fields = {}
    i = 0
    while i < len(buf):
        key, i = read_varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire != 2:
            raise ValueError("unexpected wire type %d" % wire)
        length, i = read_varint(buf, i)
        fields[number] = buf[i : i + length].decode()
        i += length
    return {"model": fields.get(1, ""), "version": fields.get(2, ""), "pod": fields.get(3, "")}


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_version = {}
        self.by_pod = {}
        self.succeeded = 0
        self.failures = 0
        self.errors = []

    def ok(self, res):
        with self.lock:
            self.succeeded += 1
            if res is None:
                return
            self.by_version[res["version"]] = self.by_version.get(res["version"], 0) + 1
            self.by_pod[res["pod"]] = self.by_pod.get(res["pod"], 0) + 1

    def fail(self, err):
        with self.lock:
            self.failures += 1
            if len(self.errors) < 5:
                self.errors.append(err)

    def result(self):
        with self.lock:
            return {
                "byVersion": dict(self.by_version),
                "byPod": dict(self.by_pod),
                "succeeded": self.succeeded,
                "failures": self.failures,
                "errors": list(self.errors),
            }


channels = {}


def channel_for(target):
    if target not in channels:
        if os.environ.get("CCORE_XDS_CREDENTIALS") == "1":
            creds = grpc.xds_channel_credentials(grpc.experimental.insecure_channel_credentials())
            channels[target] = grpc.secure_channel(target, creds)
        else:
            channels[target] = grpc.insecure_channel(target)
    return channels[target]


def stub(target, method=METHOD):
    return channel_for(target).unary_unary(
        method, request_serializer=lambda b: b, response_deserializer=lambda b: b
    )


def live(cmd):
    try:
        raw = stub(cmd["target"], "/inference.GRPCInferenceService/ServerLive")(
            b"", timeout=cmd.get("timeout", 5), wait_for_ready=cmd.get("wait_for_ready", False)
        )
        return {"ok": raw == b"\x08\x01"}
    except grpc.RpcError as e:
        return {"ok": False, "code": e.code().name, "details": e.details()}


def call_once(cmd, tally):
    model = cmd.get("model") or cmd["target"].rsplit("/", 1)[-1]
    raw_call = "method" in cmd
    try:
        raw = stub(cmd["target"], cmd.get("method", METHOD))(
            base64.b64decode(cmd["payload"]) if raw_call else encode_request(model),
            timeout=cmd.get("timeout", 5),
            metadata=tuple(cmd.get("headers", {}).items()),
            wait_for_ready=cmd.get("wait_for_ready", False),
        )
        tally.ok(None if raw_call else decode_response(raw))
    except grpc.RpcError as e:
        tally.fail("%s: %s" % (e.code().name, e.details()))


def send(cmd):
    tally = Tally()
    n = cmd["n"]
    counter = {"next": 0}
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if counter["next"] >= n:
                    return
                counter["next"] += 1
            call_once(cmd, tally)

    with ThreadPoolExecutor(max_workers=cmd.get("concurrency", 16)) as pool:
        for _ in range(cmd.get("concurrency", 16)):
            pool.submit(worker)
    return tally.result()


class Loop:
    def __init__(self, cmd):
        self.tally = Tally()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self.run, args=(cmd,), daemon=True)
            for _ in range(cmd.get("concurrency", 8))
        ]
        for t in self.threads:
            t.start()

    def run(self, cmd):
        while not self.stopping.is_set():
            call_once(cmd, self.tally)

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join()
        return self.tally.result()


def connect(cmd):
    channel = channel_for(cmd["target"])
    try:
        grpc.channel_ready_future(channel).result(timeout=cmd.get("timeout", 5))
        return {"state": "READY"}
    except grpc.FutureTimeoutError:
        return {"state": "TIMEOUT"}


def main():
    loop = None
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        op = cmd["op"]
        if op == "send":
            out = send(cmd)
        elif op == "start":
            loop = Loop(cmd)
            out = {"started": True}
        elif op == "stop":
            out = loop.stop() if loop else {"error": "no loop running"}
            loop = None
        elif op == "connect":
            out = connect(cmd)
        elif op == "live":
            out = live(cmd)
        elif op == "close_channels":
            out = {"closed": len(channels)}
            for channel in channels.values():
                channel.close()
            channels.clear()
        elif op == "exit":
            break
        else:
            out = {"error": "unknown op %s" % op}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
    for channel in channels.values():
        channel.close()


if __name__ == "__main__":
    main()
