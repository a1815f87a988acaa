// A BASELINE for the dataplane benchmark, never shipped: the least a Node server can do to answer
// KServe v2 ModelInfer over gRPC. node:http2, protobuf-es to decode ModelInferRequest and encode
// the response, `session.run` awaited on the main thread, and whatever queued while a run was in
// flight goes out as the next batch (up to the model's max batch). No validation, no deadlines,
// no metrics, no tracing, no admission: whatever the pod costs beyond this row is its own design.
//
// `node --import tsx test/bench/lean-server.ts PORT NAME=MODEL.onnx:MAXBATCH ...` (the benchmark starts
// it); prints `lean serving <port>` once every session is loaded.
import http2 from 'node:http2';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as ort from 'onnxruntime-node';
import {
  type ModelInferRequest,
  ModelInferRequestSchema,
  ModelInferResponseSchema,
} from '../../protos/gen/inference/grpc_predict_v2_pb.js';

interface Waiting {
  readonly req: ModelInferRequest;
  readonly stream: http2.ServerHttp2Stream;
}

interface Served {
  readonly session: ort.InferenceSession;
  readonly maxBatch: number;
  readonly queue: Waiting[];
  running: boolean;
}

const served = new Map<string, Served>();

function frame(message: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + message.length);
  b[0] = 0;
  b.writeUInt32BE(message.length, 1);
  b.set(message, 5);
  return b;
}

function answer(stream: http2.ServerHttp2Stream, body: Uint8Array | undefined, message?: string): void {
  if (stream.destroyed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  stream.once('wantTrailers', () =>
    stream.sendTrailers(
      body ? { 'grpc-status': '0' } : { 'grpc-status': '13', 'grpc-message': message ?? '' },
    ),
  );
  if (body) stream.end(frame(body));
  else stream.end();
}

function asFloat32(bytes: Uint8Array): Float32Array {
  // protobuf-es hands out views into the request; Float32Array needs 4-byte alignment (and a
  // Buffer's slice() is a view, not a copy).
  const b = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

async function pump(m: Served): Promise<void> {
  if (m.running || m.queue.length === 0) return;
  m.running = true;
  const batch = m.queue.splice(0, m.maxBatch);
  try {
    const first = batch[0]!.req;
    const feeds: Record<string, ort.Tensor> = {};
    first.inputs.forEach((t, i) => {
      const rows = batch.reduce((n, w) => n + Number(w.req.inputs[i]!.shape[0]), 0);
      const dims = [rows, ...t.shape.slice(1).map(Number)];
      let data: Float32Array;
      if (batch.length === 1) data = asFloat32(first.rawInputContents[i]!);
      else {
        data = new Float32Array(dims.reduce((a, b) => a * b, 1));
        let at = 0;
        for (const w of batch) {
          const part = asFloat32(w.req.rawInputContents[i]!);
          data.set(part, at);
          at += part.length;
        }
      }
      feeds[t.name] = new ort.Tensor('float32', data, dims);
    });
    const results = await m.session.run(feeds);
    let row = 0;
    for (const w of batch) {
      const rows = Number(w.req.inputs[0]!.shape[0]);
      const outputs = m.session.outputNames.map((name) => {
        const t = results[name]!;
        const per = (t.data as Float32Array).length / t.dims[0]!;
        const data = (t.data as Float32Array).subarray(row * per, (row + rows) * per);
        return {
          name,
          datatype: 'FP32',
          shape: [BigInt(rows), ...t.dims.slice(1).map(BigInt)],
          bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        };
      });
      row += rows;
      const res = create(ModelInferResponseSchema, {
        modelName: w.req.modelName,
        modelVersion: w.req.modelVersion,
        outputs: outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape })),
        rawOutputContents: outputs.map((o) => o.bytes),
      });
      answer(w.stream, toBinary(ModelInferResponseSchema, res));
    }
  } catch (err) {
    for (const w of batch) answer(w.stream, undefined, (err as Error).message);
  } finally {
    m.running = false;
    void pump(m);
  }
}

function onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => {
    if (headers[':path'] !== '/inference.GRPCInferenceService/ModelInfer') {
      answer(stream, undefined, 'unimplemented');
      return;
    }
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    const req = fromBinary(ModelInferRequestSchema, body.subarray(5));
    const m = served.get(req.modelName);
    if (!m) {
      answer(stream, undefined, `no model ${req.modelName}`);
      return;
    }
    m.queue.push({ req, stream });
    void pump(m);
  });
}

async function main(): Promise<void> {
  const [port, ...specs] = process.argv.slice(2);
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const colon = spec.lastIndexOf(':');
    const name = spec.slice(0, eq);
    const path = spec.slice(eq + 1, colon);
    const maxBatch = Number(spec.slice(colon + 1));
    const session = await ort.InferenceSession.create(path, {
      // The pod's defaults: all cores, no spinning.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    served.set(name, { session, maxBatch, queue: [], running: false });
  }
  const server = http2.createServer();
  server.on('stream', onStream);
  await new Promise<void>((resolve) => server.listen(Number(port), '127.0.0.1', resolve));
  process.stderr.write(`lean serving ${port}\n`);
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

await main();
