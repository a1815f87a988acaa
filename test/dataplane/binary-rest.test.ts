// KServe's binary tensor data extension over HTTP/REST against a real pod and real ONNX Runtime
// sessions: binary outputs equal direct session.run and the JSON path; inputs mix binary (FP16
// and FP32, one at an unaligned offset) and JSON data; every malformed request is a 400 that
// names the input and what is wrong; binary bodies get the pod's message limit while the JSON
// header keeps the JSON one; access rules and request ids apply as for JSON (docs/DATAPLANE.md,
// "Binary tensor data").
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MLP } from '../../data-plane/models/catalog.js';
import { GraphBuilder } from '../../data-plane/models/onnx-builder.js';
import type { Pod } from '../../data-plane/pod.js';
import { type MemoryLogger, memoryLogger } from '../../kernel/log/index.js';
import { binaryBody, bytesOf, f32, postBinary, postInfer, u16 } from './binary-client.js';
import { expectClose, inputRows, modelRepoCopy, ReferenceSession, startTestPod } from './harness.js';

const { FLOAT16 } = onnxProto.onnx.TensorProto.DataType;

/** Two FP32 inputs and one FP16: sum = a + b, prod = a * b, h2 = 2h (computed in FP32). */
function mixedModel(): Uint8Array {
  const g = new GraphBuilder('binary_rest_mixed');
  const a = g.input('a', ['batch', 4]);
  const b = g.input('b', ['batch', 4]);
  const h = g.input('h', ['batch', 3], FLOAT16);
  g.op('Add', [a, b], {}, 'sum');
  g.op('Mul', [a, b], {}, 'prod');
  const two = g.weight('two', [1], new Float32Array([2]));
  g.op('Cast', [g.op('Mul', [g.op('Cast', [h], { to: 1 }), two])], { to: FLOAT16 }, 'h2');
  g.output('sum', ['batch', 4]);
  g.output('prod', ['batch', 4]);
  g.output('h2', ['batch', 3], FLOAT16);
  return g.encode('Switchyard binary REST test model: FP32 and FP16 inputs and outputs.');
}

async function addMixed(dir: string): Promise<string> {
  const at = join(dir, 'mixed', '1');
  await mkdir(at, { recursive: true });
  await writeFile(join(at, 'model.onnx'), mixedModel());
  await writeFile(join(at, 'config.yaml'), 'max_batch_size: 32\n');
  return join(at, 'model.onnx');
}

const MODELS = [
  { model: 'mlp', input: 'input', dims: [MLP.inputs] },
  { model: 'convnet', input: 'image', dims: [1, 28, 28] },
  { model: 'ocr-cls', input: 'x', dims: [3, 48, 192] },
] as const;

// Half floats: 1, 0.5, -2, 3, 0.25, -1
const HALF = new Uint16Array([0x3c00, 0x3800, 0xc000, 0x4200, 0x3400, 0xbc00]);
const API_KEY = 'sy_binary_rest';
const sha = (k: string) => createHash('sha256').update(k).digest('hex');

describe('binary tensor data over HTTP/REST', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let base: string;
  let log: MemoryLogger;
  let mixed: ort.InferenceSession;
  const refs = new Map<string, ReferenceSession>();

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp', 'convnet', 'ocr-cls', 'affine']);
    const mixedPath = await addMixed(repo.dir);
    const access = join(repo.dir, 'routes.yaml');
    await writeFile(
      access,
      `apiVersion: switchyard.dev/v1alpha1\nkind: ModelRoute\nmetadata: { name: affine }\nspec:\n  model: affine\n  versions: [{ name: "1" }]\n  access:\n    apiKeys: [{ sha256: ${sha(API_KEY)}, tenant: acme }]\n`,
    );
    log = memoryLogger('pod', 'debug');
    pod = await startTestPod(repo.dir, { log, access: { from: 'file', path: access, pollMs: 100 } });
    base = `http://127.0.0.1:${pod.ports.http}/v2/models`;
    for (const m of MODELS)
      refs.set(m.model, await ReferenceSession.open(join(repo.dir, m.model, '1', 'model.onnx')));
    mixed = await ort.InferenceSession.create(mixedPath, { intraOpNumThreads: 1 });
  }, 120_000);

  afterAll(async () => {
    for (const r of refs.values()) await r.close();
    await mixed?.release();
    await pod?.close();
    await repo?.cleanup();
  });

  it('reports the extension in the server metadata', async () => {
    const res = await fetch(`http://127.0.0.1:${pod.ports.http}/v2`);
    expect(((await res.json()) as { extensions: string[] }).extensions).toContain('binary_tensor_data');
  });

  for (const m of MODELS) {
    it(`${m.model}: binary in and out equals session.run and the JSON path, on both paths`, async () => {
      const rows = 3;
      const perRow = (m.dims as readonly number[]).reduce((a, b) => a * b, 1);
      const x = inputRows(rows, perRow, 5);
      const shape = [rows, ...m.dims];
      const expected = await refs.get(m.model)!.run(x, shape);
      // Every model here has one output: ask for it by name, as a client reading metadata would.
      const meta = (await (await fetch(`${base}/${m.model}`)).json()) as { outputs: Array<{ name: string }> };
      const header = {
        id: 'bin-1',
        inputs: [{ name: m.input, datatype: 'FP32', shape, parameters: { binary_data_size: x.byteLength } }],
        outputs: [{ name: meta.outputs[0]!.name, parameters: { binary_data: true } }],
      };

      // Without a version the newest answers (mlp has a v2): that one is checked against JSON only.
      for (const [path, version] of [
        [`${base}/${m.model}/versions/1/infer`, '1'],
        [`${base}/${m.model}/infer`, m.model === 'mlp' ? '2' : '1'],
      ] as const) {
        const a = await postBinary(path, header, [bytesOf(x)]);
        expect(a.status, JSON.stringify(a.json)).toBe(200);
        expect(a.headers.get('content-type')).toBe('application/octet-stream');
        const headerLength = Number(a.headers.get('inference-header-content-length'));
        expect(Number(a.headers.get('content-length'))).toBe(a.bodyLength);
        const out = a.json.outputs![0]!;
        expect(out.data).toBeUndefined();
        expect(out.shape[0]).toBe(rows);
        const bytes = a.binary.get(out.name)!;
        expect(out.parameters!.binary_data_size).toBe(expected.byteLength);
        expect(a.bodyLength).toBe(headerLength + expected.byteLength);
        expect(a.json.model_version).toBe(version);
        if (version === '1') expectClose(f32(bytes), expected);

        const j = await postInfer(
          path,
          JSON.stringify({ inputs: [{ name: m.input, datatype: 'FP32', shape, data: Array.from(x) }] }),
          undefined,
        );
        expect(j.status).toBe(200);
        expect(Array.from(f32(bytes))).toEqual(j.json.outputs![0]!.data);
      }
    });
  }

  it('answers binary inputs in JSON when no output is asked for as binary', async () => {
    const x = inputRows(2, MLP.inputs, 9);
    const a = await postBinary(
      `${base}/mlp/versions/1/infer`,
      {
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [2, MLP.inputs],
            parameters: { binary_data_size: x.byteLength },
          },
        ],
      },
      [bytesOf(x)],
    );
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(a.headers.get('inference-header-content-length')).toBeNull();
    expectClose(Float32Array.from(a.json.outputs![0]!.data!), await refs.get('mlp')!.run(x, [2, MLP.inputs]));
  });

  async function mixedExpected(a: Float32Array, b: Float32Array, h: Uint16Array, rows: number) {
    const out = await mixed.run({
      a: new ort.Tensor('float32', a, [rows, 4]),
      b: new ort.Tensor('float32', b, [rows, 4]),
      h: new ort.Tensor('float16', h, [rows, 3]),
    });
    return {
      sum: out.sum!.data as Float32Array,
      prod: out.prod!.data as Float32Array,
      h2: out.h2!.data as Uint16Array,
    };
  }

  it('mixes inputs: FP16 binary, FP32 binary at an unaligned offset, FP32 JSON data', async () => {
    const rows = 2;
    const a = inputRows(rows, 4, 1);
    const b = inputRows(rows, 4, 2);
    const want = await mixedExpected(a, b, HALF, rows);
    // h comes first: two rows (12 bytes) leave a aligned at offset 12 of the binary bytes, one
    // row (6 bytes) puts a at offset 6, unaligned for FP32.
    for (const [r, h] of [
      [rows, HALF],
      [1, HALF.subarray(0, 3)],
    ] as const) {
      const ax = a.subarray(0, r * 4);
      const bx = b.subarray(0, r * 4);
      const res = await postBinary(
        `${base}/mixed/versions/1/infer`,
        {
          inputs: [
            { name: 'h', datatype: 'FP16', shape: [r, 3], parameters: { binary_data_size: h.byteLength } },
            { name: 'b', datatype: 'FP32', shape: [r, 4], data: Array.from(bx) },
            { name: 'a', datatype: 'FP32', shape: [r, 4], parameters: { binary_data_size: ax.byteLength } },
          ],
          parameters: { binary_data_output: true },
        },
        [bytesOf(h), bytesOf(ax)],
      );
      expect(res.status, JSON.stringify(res.json)).toBe(200);
      expect(res.json.outputs!.map((o) => o.name)).toEqual(['sum', 'prod', 'h2']);
      expectClose(f32(res.binary.get('sum')!), want.sum.subarray(0, r * 4));
      expectClose(f32(res.binary.get('prod')!), want.prod.subarray(0, r * 4));
      expect(Array.from(u16(res.binary.get('h2')!))).toEqual(Array.from(want.h2.subarray(0, r * 3)));
      expect(res.json.outputs!.find((o) => o.name === 'h2')!.datatype).toBe('FP16');
    }
  });

  it('returns binary outputs for JSON inputs on request; an output flag overrides the request flag', async () => {
    const a = inputRows(1, 4, 3);
    const b = inputRows(1, 4, 4);
    const h = HALF.subarray(3, 6);
    const want = await mixedExpected(a, b, h, 1);
    const res = await postInfer(
      `${base}/mixed/infer`,
      JSON.stringify({
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [1, 4], data: Array.from(a) },
          { name: 'b', datatype: 'FP32', shape: [1, 4], data: Array.from(b) },
          // FP16 has no JSON form: it can only travel as binary.
          { name: 'h', datatype: 'FP16', shape: [1, 3], data: [1, 2, 3] },
        ],
      }),
      undefined,
    );
    expect(res.status).toBe(400);
    const ok = await postBinary(
      `${base}/mixed/infer`,
      {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [1, 4], data: Array.from(a) },
          { name: 'b', datatype: 'FP32', shape: [1, 4], data: Array.from(b) },
          { name: 'h', datatype: 'FP16', shape: [1, 3], parameters: { binary_data_size: 6 } },
        ],
        outputs: [
          { name: 'prod', parameters: { binary_data: false } },
          { name: 'h2' },
          { name: 'sum', parameters: { binary_data: true } },
        ],
        parameters: { binary_data_output: true },
      },
      [bytesOf(h)],
    );
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    const byName = new Map(ok.json.outputs!.map((o) => [o.name, o]));
    expectClose(Float32Array.from(byName.get('prod')!.data!), want.prod);
    expect(byName.get('prod')!.parameters).toBeUndefined();
    expectClose(f32(ok.binary.get('sum')!), want.sum);
    expect(Array.from(u16(ok.binary.get('h2')!))).toEqual(Array.from(want.h2));
    expect([...ok.binary.keys()].sort()).toEqual(['h2', 'sum']);
  });

  describe('refuses malformed binary requests with 400 naming the input and the fault', () => {
    const a = bytesOf(new Float32Array([1, 2, 3, 4]));
    const b = bytesOf(new Float32Array([5, 6, 7, 8]));
    const h = bytesOf(HALF.subarray(0, 3));
    const input = (name: string, datatype: string, shape: number[], size?: number, data?: number[]) => ({
      name,
      datatype,
      shape,
      ...(size === undefined ? {} : { parameters: { binary_data_size: size } }),
      ...(data ? { data } : {}),
    });
    const good = [
      input('a', 'FP32', [1, 4], 16),
      input('b', 'FP32', [1, 4], 16),
      input('h', 'FP16', [1, 3], 6),
    ];
    const cases: Array<{
      what: string;
      header: unknown;
      parts: Uint8Array[];
      length?: string;
      want: RegExp;
    }> = [
      {
        what: 'binary_data_size not matching shape x datatype',
        header: { inputs: [input('a', 'FP32', [1, 4], 12), good[1], good[2]] },
        parts: [a.subarray(0, 12), b, h],
        want: /inputs\[0\]\.parameters\.binary_data_size: a of shape \[1, 4\] FP32 needs 16 bytes, binary_data_size is 12/,
      },
      {
        what: 'leftover bytes',
        header: { inputs: good },
        parts: [a, b, h, new Uint8Array(5)],
        want: /43 bytes follow the JSON header but the inputs' binary_data_size take 38: 5 bytes left over/,
      },
      {
        what: 'missing bytes',
        header: { inputs: good },
        parts: [a, b, h.subarray(0, 2)],
        want: /inputs\[2\]\.parameters\.binary_data_size: h needs 6 bytes of binary data, only 2 are left in the body: bytes missing/,
      },
      {
        what: 'binary_data_size on an input that also has data',
        header: { inputs: [input('a', 'FP32', [1, 4], 16, [1, 2, 3, 4]), good[1], good[2]] },
        parts: [a, b, h],
        want: /inputs\[0\]\.parameters\.binary_data_size: a has both data and binary_data_size/,
      },
      {
        what: 'a binary_data_size that is not a byte count',
        header: { inputs: [input('a', 'FP32', [1, 4], -16), good[1], good[2]] },
        parts: [a, b, h],
        want: /inputs\[0\]\.parameters\.binary_data_size: must be a byte count \(a non-negative integer\), got -16/,
      },
      {
        what: 'a binary_data flag that is not boolean',
        header: { inputs: good, outputs: [{ name: 'sum', parameters: { binary_data: 'yes' } }] },
        parts: [a, b, h],
        want: /outputs\[0\]\.parameters\.binary_data: must be true or false, got "yes"/,
      },
      {
        what: 'a header length larger than the body',
        header: { inputs: good },
        parts: [a, b, h],
        length: '100000',
        want: /Inference-Header-Content-Length: 100000 is larger than the body \(\d+ bytes\)/,
      },
    ];
    for (const bad of ['abc', '-5', 'NaN', '1e3', '12.5', '0x20', '99999999999999999999999', '0', ''])
      cases.push({
        what: `header value ${JSON.stringify(bad)}`,
        header: { inputs: good },
        parts: [a, b, h],
        length: bad,
        want:
          bad === '0'
            ? /Inference-Header-Content-Length: must be at least 1/
            : /Inference-Header-Content-Length: /,
      });

    for (const c of cases)
      it(c.what, async () => {
        const { body, headerLength } = binaryBody(c.header, c.parts);
        const res = await postInfer(`${base}/mixed/infer`, body, c.length ?? headerLength);
        expect(res.status, JSON.stringify(res.json)).toBe(400);
        expect(res.json.code).toBe('SY_INFER_INVALID');
        expect(res.json.error).toMatch(c.want);
      });

    it('binary_data_size without Inference-Header-Content-Length', async () => {
      const res = await postInfer(`${base}/mixed/infer`, JSON.stringify({ inputs: good }), undefined);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(
        /inputs\[0\]\.parameters\.binary_data_size: a has 16 bytes of binary data, but without an Inference-Header-Content-Length header the whole body is JSON/,
      );
    });

    it('a JSON header that is not JSON', async () => {
      const body = Buffer.concat([Buffer.from('{"inputs": ['), a]);
      const res = await postInfer(`${base}/mixed/infer`, body, 12);
      expect(res.status).toBe(400);
      expect(res.json.error).toMatch(/the JSON inference header is not JSON/);
    });

    it('and still serves the well-formed request after all of them', async () => {
      const res = await postBinary(`${base}/mixed/infer`, { inputs: good }, [a, b, h]);
      expect(res.status).toBe(200);
      expect(res.json.outputs!.find((o) => o.name === 'sum')!.data).toEqual([6, 8, 10, 12]);
    });
  });

  it('applies access rules and request ids as for JSON', async () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const header = {
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 24 } }],
      outputs: [{ name: 'y', parameters: { binary_data: true } }],
    };
    const refused = await postBinary(`${base}/affine/infer`, header, [bytesOf(x)]);
    expect(refused.status).toBe(401);
    const res = await postBinary(`${base}/affine/infer`, header, [bytesOf(x)], {
      'x-api-key': API_KEY,
      'x-request-id': 'bin-req-7',
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(Array.from(f32(res.binary.get('y')!))).toEqual([3, 5, 7, 9, 11, 13]);
    expect(res.headers.get('x-request-id')).toBe('bin-req-7');
    const line = log.records.find((r) => r.request_id === 'bin-req-7');
    expect(line?.outcome).toBe('success');
  });
});

describe('binary tensor data limits', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;
  let url: string;
  const JSON_LIMIT = 1024;
  const BODY_LIMIT = 4096;

  beforeAll(async () => {
    repo = await modelRepoCopy([]);
    await addMixed(repo.dir);
    pod = await startTestPod(repo.dir, { maxBodyBytes: BODY_LIMIT, maxJsonBodyBytes: JSON_LIMIT });
    url = `http://127.0.0.1:${pod.ports.http}/v2/models/mixed/infer`;
  }, 60_000);

  afterAll(async () => {
    await pod?.close();
    await repo?.cleanup();
  });

  const request = (rows: number, pad = 0) => {
    const a = inputRows(rows, 4, 1);
    const h = new Uint16Array(rows * 3).fill(0x3c00);
    const header = {
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [rows, 4], parameters: { binary_data_size: a.byteLength } },
        { name: 'b', datatype: 'FP32', shape: [rows, 4], parameters: { binary_data_size: a.byteLength } },
        { name: 'h', datatype: 'FP16', shape: [rows, 3], parameters: { binary_data_size: h.byteLength } },
      ],
      id: ' '.repeat(pad),
    };
    return { header, parts: [bytesOf(a), bytesOf(a), bytesOf(h)], a };
  };

  it('takes a binary body over the JSON limit, up to the message limit', async () => {
    const { header, parts, a } = request(32);
    const { body } = binaryBody(header, parts);
    expect(body.length).toBeGreaterThan(JSON_LIMIT);
    const res = await postBinary(url, header, parts);
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expectClose(
      Float32Array.from(res.json.outputs![0]!.data!),
      a.map((v) => 2 * v),
    );
  });

  it('takes a chunked binary body (no Content-Length) as well', async () => {
    const { header, parts, a } = request(8);
    const { body, headerLength } = binaryBody(header, parts);
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: { 'inference-header-content-length': headerLength, 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      // Chunk borders inside the JSON header and inside the tensors.
      for (let at = 0; at < body.length; at += 100) req.write(body.subarray(at, at + 100));
      req.end();
    });
    expect(answer.status, answer.text).toBe(200);
    const json = JSON.parse(answer.text) as { outputs: Array<{ name: string; data: number[] }> };
    expectClose(
      Float32Array.from(json.outputs.find((o) => o.name === 'sum')!.data),
      a.map((v) => 2 * v),
    );
  });

  it('refuses a body over the message limit with 413', async () => {
    const { header, parts } = request(32);
    const res = await postBinary(url, header, [...parts, new Uint8Array(BODY_LIMIT)]);
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('SY_PAYLOAD_TOO_LARGE');
    expect(res.json.error).toBe(`request body is over the limit of ${BODY_LIMIT} bytes`);
  });

  it('holds the JSON header to the JSON limit', async () => {
    const { header, parts } = request(1, JSON_LIMIT);
    const res = await postBinary(url, header, parts);
    expect(res.status).toBe(413);
    expect(res.json.error).toBe(`JSON inference header is over the limit of ${JSON_LIMIT} bytes`);
  });
});
