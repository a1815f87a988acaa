// The JSON inference body has its own bound, far below the binary (gRPC) one, checked while the
// body streams in: a 60 MB JSON body is refused with 413 SY_PAYLOAD_TOO_LARGE after the first
// megabyte, without the pod holding (or parsing) the rest. docs/DATAPLANE.md, "Limits".
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import type { Pod } from '../../data-plane/pod.js';
import { modelRepoCopy, startTestPod } from './harness.js';

const JSON_LIMIT = 1024 * 1024;
const BODY_BYTES = 60 * 1024 * 1024;

interface Outcome {
  readonly status: number;
  readonly body: { error?: string; code?: string };
  readonly sent: number;
}

/**
 * POSTs a JSON inference body of about `total` bytes, generated chunk by chunk so the client
 * holds only one chunk; stops writing once the pod answers or closes the connection.
 */
function postStreamed(port: number, total: number, declareLength: boolean): Promise<Outcome> {
  const head = Buffer.from('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[');
  const tail = Buffer.from('0]}]}');
  const chunk = Buffer.from('0,'.repeat(32 * 1024));
  const length =
    head.length + tail.length + Math.floor((total - head.length - tail.length) / chunk.length) * chunk.length;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v2/models/mlp/infer',
      headers: { 'content-type': 'application/json', ...(declareLength ? { 'content-length': length } : {}) },
    });
    req.on('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), sent }));
    });
    // The pod closes the connection after its answer; a write racing that close is expected.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      if (sent === 0) {
        req.write(head);
        sent += head.length;
      }
      while (!answered && !req.destroyed && sent + chunk.length + tail.length <= length) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered && !req.destroyed) req.end(tail);
    };
    pump();
  });
}

describe('JSON body bound', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    // Binary (gRPC) messages may be large; JSON is bounded much lower.
    pod = await startTestPod(repo.dir, { maxBodyBytes: 64 * 1024 * 1024, maxJsonBodyBytes: JSON_LIMIT });
  });

  afterAll(async () => {
    await pod?.close();
    await repo?.cleanup();
  });

  it('refuses a declared 60 MB JSON body before reading it', async () => {
    const out = await postStreamed(pod.ports.http, BODY_BYTES, true);
    expect(out.status).toBe(413);
    expect(out.body.code).toBe('SY_PAYLOAD_TOO_LARGE');
    expect(out.body.error).toBe(`JSON request body is over the limit of ${JSON_LIMIT} bytes`);
  });

  it('refuses a streamed (chunked) 60 MB JSON body while it arrives, without holding it', async () => {
    const before = process.memoryUsage().rss;
    const out = await postStreamed(pod.ports.http, BODY_BYTES, false);
    const grown = process.memoryUsage().rss - before;
    expect(out.status).toBe(413);
    expect(out.body.code).toBe('SY_PAYLOAD_TOO_LARGE');
    expect(out.body.error).toMatch(/JSON request body is over the limit of 1048576 bytes/);
    // Parsing it would cost several hundred MB; holding the first megabyte costs a few.
    console.log(
      `RSS growth for a 60 MB chunked JSON body: ${(grown / 1e6).toFixed(1)} MB, sent ${out.sent} bytes`,
    );
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('still serves a JSON body under the bound', async () => {
    const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/models/mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'input', datatype: 'FP32', shape: [1, MLP.inputs], data: Array(MLP.inputs).fill(0) },
        ],
      }),
    });
    expect(res.status).toBe(200);
  });
});
