import { describe, expect, it } from 'vitest';
import { sha256Digest } from '../../kernel/artifacts/index.js';
import { decodePushMeta, encodePushMeta, readUpload } from './upload.js';

async function* chunks(...parts: string[]): AsyncIterable<Buffer> {
  for (const p of parts) yield Buffer.from(p);
}

describe('push upload', () => {
  it('hashes while it reads and checks an announced digest', async () => {
    const { bytes, digest } = await readUpload(chunks('ab', 'c'), 10, undefined);
    expect(Buffer.from(bytes).toString()).toBe('abc');
    expect(digest).toBe(sha256Digest(Buffer.from('abc')));
    await expect(readUpload(chunks('abc'), 10, digest)).resolves.toMatchObject({ digest });
    await expect(readUpload(chunks('abd'), 10, digest)).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INTEGRITY',
    });
  });

  it('asks for a digest announced after the body (a trailer) only once the body has ended', async () => {
    let trailer: string | undefined;
    // The trailer is set by the body's end, as an HTTP trailer arrives after the last chunk.
    async function* body(announced: string): AsyncIterable<Buffer> {
      yield Buffer.from('ab');
      yield Buffer.from('c');
      trailer = announced;
    }
    const abc = sha256Digest(Buffer.from('abc'));
    const abd = sha256Digest(Buffer.from('abd'));
    await expect(readUpload(body(abd), 10, () => trailer)).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INTEGRITY',
      message: `model artifact failed its integrity check: the upload has ${abc}, the client announced ${abd}`,
    });
    await expect(readUpload(body(abc), 10, () => trailer)).resolves.toMatchObject({ digest: abc });
  });

  it('stops at the size bound and refuses an empty body', async () => {
    await expect(readUpload(chunks('12345', '678'), 6, undefined)).rejects.toMatchObject({
      code: 'SY_ARTIFACT_INVALID',
      message: 'upload: over the bound of 6 bytes',
    });
    await expect(readUpload(chunks(), 6, undefined)).rejects.toThrow(/empty/);
  });

  it('round-trips its metadata header and names every malformed field', () => {
    const meta = {
      namespace: 'risk',
      labels: { team: 'a' },
      metrics: { auc: 0.9 },
      regions: ['eu'],
      reason: 'r',
    };
    expect(decodePushMeta(encodePushMeta(meta))).toEqual(meta);
    expect(decodePushMeta(undefined)).toEqual({});
    const bad = Buffer.from(
      JSON.stringify({ labels: { a: 1 }, metrics: { auc: 'high' }, regions: 'eu' }),
    ).toString('base64url');
    expect(() => decodePushMeta(bad)).toThrow(
      'switchyard-push-meta: labels must map names to strings; metrics must map names to finite numbers; regions must be a list of strings',
    );
    expect(() => decodePushMeta('%%%')).toThrow(/not base64url JSON/);
  });
});
