// `switchyard pod --otlp-endpoint URL` as a real process: a grpc-js client and a raw HTTP/1.1
// caller send traceparent and x-request-id; after SIGTERM the drain exports what is left, and
// the collector in this test holds both traces, continued from the callers. A request id full of
// quotes, spaces and a non-ASCII byte reaches span and log line percent-encoded, and every line
// the pod wrote is still one JSON record (no forged lines).
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import { ModelInferRequestSchema } from '../../protos/gen/inference/grpc_predict_v2_pb.js';
import { OtlpCollector } from '../helpers/otlp-collector.js';
import { freePorts } from '../helpers/ports.js';
import { CliProcess } from '../process/processes.js';
import { f32Bytes, inputRows, KServeClient, modelRepoCopy, waitFor } from './harness.js';

const FORGED = Buffer.concat([
  Buffer.from('a"},{"level":"error","msg":"forged"} '),
  Buffer.from([0xff]),
  Buffer.from(' 100%'),
]);
const FORGED_ESCAPED = 'a%22},{%22level%22:%22error%22,%22msg%22:%22forged%22}%20%C3%BF%20100%25';

function tp() {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { header: `00-${traceId}-${parentId}-01`, traceId, parentId };
}

/** A POST written byte for byte, so the header can carry what fetch() would refuse to send. */
function rawPost(port: number, path: string, headers: Buffer, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(
        Buffer.concat([
          Buffer.from(`POST ${path} HTTP/1.1\r\nhost: pod\r\ncontent-type: application/json\r\n`),
          headers,
          Buffer.from(`content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`),
        ]),
      );
    });
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

describe('a pod process with --otlp-endpoint', () => {
  let collector: OtlpCollector;
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: CliProcess;
  let ports: number[];

  beforeAll(async () => {
    collector = await OtlpCollector.start();
    repo = await modelRepoCopy(['mlp']);
    ports = await freePorts(3);
    // biome-ignore format: flag pairs
    pod = new CliProcess([
      'pod', '--model-repo', repo.dir,
      '--http-port', String(ports[0]), '--grpc-port', String(ports[1]), '--metrics-port', String(ports[2]),
      '--intra-op-threads', '1', '--drain-grace', '0ms', '--log-format', 'json', '--log-level', 'debug',
      // A bare collector address: the pod adds OTLP's /v1/traces.
      '--otlp-endpoint', collector.url,
    ]);
    await pod.waitForOutput(/pod \S+ serving/);
  }, 60_000);

  afterAll(async () => {
    pod?.kill();
    await collector?.close();
    await repo?.cleanup();
  });

  it('exports both callers’ traces by the end of its drain, request ids escaped in spans and logs', async () => {
    const viaGrpc = tp();
    const client = new KServeClient(ports[1]!);
    const md = new grpc.Metadata();
    md.set('traceparent', viaGrpc.header);
    md.set('x-request-id', 'grpc caller "7"');
    const req = create(ModelInferRequestSchema, {
      modelName: 'mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(MLP.inputs)] }],
      rawInputContents: [f32Bytes(inputRows(1, MLP.inputs, 1))],
    });
    await new Promise<void>((resolve, reject) =>
      (
        client.client as unknown as {
          modelInfer: (r: unknown, m: grpc.Metadata, cb: (e: Error | null) => void) => void;
        }
      ).modelInfer(req, md, (e) => (e ? reject(e) : resolve())),
    );
    client.close();

    const viaRest = tp();
    const body = JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) }],
    });
    const answer = await rawPost(
      ports[0]!,
      '/v2/models/mlp/infer',
      Buffer.concat([
        Buffer.from(`traceparent: ${viaRest.header}\r\nx-request-id: `),
        FORGED,
        Buffer.from('\r\n'),
      ]),
      body,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain(`x-request-id: ${FORGED_ESCAPED}`);

    // Tracing's own export interval (5 s) has not passed: the drain's close sends the spans.
    pod.child.kill('SIGTERM');
    expect(await pod.exitWithin(30_000)).toBe(0);
    const spans = await waitFor('both traces', () => {
      const g = collector.trace(viaGrpc.traceId);
      const r = collector.trace(viaRest.traceId);
      return g.length >= 5 && r.length >= 5 ? { g, r } : undefined;
    });
    for (const [trace, caller, id] of [
      [spans.g, viaGrpc, 'grpc%20caller%20%227%22'],
      [spans.r, viaRest, FORGED_ESCAPED],
    ] as const) {
      const root = trace.find((s) => s.kind === 2)!;
      expect(root.parentSpanId).toBe(caller.parentId);
      expect(root.attributes['switchyard.request.id']).toBe(id);
      // No version asked for: the newest ready one answered, and the span says which.
      expect(root.attributes['switchyard.model.version']).toBe('2');
      expect(trace.filter((s) => s.parentSpanId === root.spanId)).toHaveLength(4);
    }
    expect(collector.requests.every((r) => r.path === '/v1/traces')).toBe(true);

    const lines = pod.stderr.split('\n').filter((l) => l.trim() !== '');
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.msg === 'forged')).toBe(false);
    const logged = records.find((r) => r.request_id === FORGED_ESCAPED);
    expect(logged).toMatchObject({ level: 'debug', msg: 'inference success', trace_id: viaRest.traceId });
    expect(records.find((r) => r.request_id === 'grpc%20caller%20%227%22')?.trace_id).toBe(viaGrpc.traceId);
  }, 60_000);

  it('lists the tracing flags in its help', async () => {
    const help = new CliProcess(['pod', '--help']);
    expect(await help.exitWithin(30_000)).toBe(0);
    expect(help.stdout).toMatch(/--otlp-endpoint/);
    expect(help.stdout).toMatch(/--trace-sampling/);
  }, 40_000);
});
