// The registry's HTTP surface against a real control plane: residency at hand out (403 outside the
// version's regions), the artifact as sealed bytes that the KEK-sealed data key opens, and an
// announced digest that does not match the upload, in a header or in a trailer after the body.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePushMeta, PUSH_DIGEST_HEADER, PUSH_META_HEADER } from '../../control-plane/registry/upload.js';
import { artifactKeyLabel, decryptArtifact, sha256Digest } from '../../kernel/artifacts/index.js';
import { KeyEncryptionKey, openKey } from '../../kernel/crypto/index.js';
import { type ApiFixture, apiKey, startApi } from '../api/fixture.js';
import { modelFile } from './helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const body = async (r: Response): Promise<any> => r.json();

describe('registry over HTTP', () => {
  let fx: ApiFixture;
  const file = modelFile('convnet');
  const push = (version: string, headers: Record<string, string> = {}) =>
    fetch(`${fx.url}/api/v1/models/vision/versions/${version}`, {
      method: 'PUT',
      body: file,
      headers: {
        ...apiKey(fx.keys['operator-default']),
        [PUSH_META_HEADER]: encodePushMeta({ regions: ['eu-west', 'eu-north'] }),
        ...headers,
      },
    });
  /** The digest as a trailer after a chunked body, as the CLI sends it (Node's fetch cannot). */
  const pushWithTrailer = (version: string, digest: string) =>
    new Promise<{ status: number; body: { code?: string; status?: string } }>((resolve, reject) => {
      const req = request(`${fx.url}/api/v1/models/vision/versions/${version}`, {
        method: 'PUT',
        headers: {
          ...apiKey(fx.keys['operator-default']),
          [PUSH_META_HEADER]: encodePushMeta({ regions: ['eu-west'] }),
          trailer: PUSH_DIGEST_HEADER,
        },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.write(file.subarray(0, 1000));
      req.write(file.subarray(1000));
      req.addTrailers({ [PUSH_DIGEST_HEADER]: digest });
      req.end();
    });
  beforeAll(async () => {
    fx = await startApi();
  }, 120_000);
  afterAll(async () => fx?.close());

  it('creates, then answers a retry 200 unchanged', async () => {
    const first = await push('1', { [PUSH_DIGEST_HEADER]: sha256Digest(file) });
    expect(first.status).toBe(201);
    expect((await body(first)).version.regions).toEqual(['eu-north', 'eu-west']);
    const again = await push('1');
    expect(again.status).toBe(200);
    expect((await body(again)).status).toBe('unchanged');
  }, 60_000);

  it('refuses an upload whose bytes do not match the announced digest, storing nothing', async () => {
    const res = await push('2', { [PUSH_DIGEST_HEADER]: sha256Digest(new Uint8Array([1])) });
    expect(res.status).toBe(500);
    expect((await body(res)).code).toBe('SY_ARTIFACT_INTEGRITY');
    const d = await fx.call(
      'GET',
      '/api/v1/models/vision/versions/2',
      undefined,
      apiKey(fx.keys['viewer-default']),
    );
    expect(d.status).toBe(404);
  }, 60_000);

  it('checks a digest sent as a trailer after the body, before anything is stored', async () => {
    const wrong = await pushWithTrailer('3', sha256Digest(new Uint8Array([1])));
    expect(wrong.status).toBe(500);
    expect(wrong.body.code).toBe('SY_ARTIFACT_INTEGRITY');
    const d = await fx.call(
      'GET',
      '/api/v1/models/vision/versions/3',
      undefined,
      apiKey(fx.keys['viewer-default']),
    );
    expect(d.status).toBe(404);
    const right = await pushWithTrailer('3', sha256Digest(file));
    expect(right.status).toBe(201);
    expect(right.body.status).toBe('created');
  }, 60_000);

  it('hands the artifact out only inside its regions, sealed, and the KEK opens it', async () => {
    const get = (region?: string) =>
      fetch(`${fx.url}/api/v1/models/vision/versions/1/artifact${region ? `?region=${region}` : ''}`, {
        headers: apiKey(fx.keys['operator-default']),
      });
    const outside = await get('us-east');
    expect(outside.status).toBe(403);
    expect((await body(outside)).code).toBe('SY_RESIDENCY_REFUSED');
    expect((await get()).status).toBe(403);
    const inside = await get('eu-west');
    expect(inside.status).toBe(200);
    expect(inside.headers.get(PUSH_DIGEST_HEADER)).toBe(sha256Digest(file));
    const sealed = new Uint8Array(await inside.arrayBuffer());
    expect(Buffer.from(sealed).includes(Buffer.from(file.subarray(0, 32)))).toBe(false);
    const { record } = await fx.cp.models!.registry.entry({ name: 'vision', version: '1' });
    // The fixture's KEK (test/api/fixture.ts).
    const kek = KeyEncryptionKey.fromKeyBytes(new Uint8Array(32).fill(3));
    const key = await openKey(record.sealedDataKey, kek, artifactKeyLabel('vision', '1'));
    expect(sha256Digest(decryptArtifact(sealed, key))).toBe(sha256Digest(file));
  }, 60_000);
});
