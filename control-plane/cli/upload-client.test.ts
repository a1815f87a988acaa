import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUpload } from './upload-client.js';

interface Seen {
  headers: IncomingMessage['headers'];
  body: Buffer;
  trailers: Record<string, string | undefined>;
}

describe('adminUpload', () => {
  let server: Server;
  let dir: string;
  let file: string;
  const content = randomBytes(3 * 1024 * 1024 + 17);
  const seen: Seen[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sy-upload-'));
    file = join(dir, 'model.onnx');
    await writeFile(file, content);
    server = createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const c of req) parts.push(c as Buffer);
      seen.push({ headers: req.headers, body: Buffer.concat(parts), trailers: { ...req.trailers } });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  const conn = () => ({
    server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    namespace: 'default',
  });

  it('sends the sha256 of the bytes it sent as the named trailer, after a chunked body', async () => {
    const progress: number[] = [];
    const res = await adminUpload(
      conn(),
      'PUT',
      'api/v1/x',
      file,
      { 'x-meta': 'm' },
      (sent) => progress.push(sent),
      'switchyard-digest',
    );
    expect(res).toEqual({ status: 201, body: { ok: true } });
    const s = seen.at(-1)!;
    expect(Buffer.compare(s.body, content)).toBe(0);
    expect(s.headers['content-length']).toBeUndefined();
    expect(s.headers['transfer-encoding']).toBe('chunked');
    expect(s.headers['x-meta']).toBe('m');
    expect(s.trailers['switchyard-digest']).toBe(
      `sha256:${createHash('sha256').update(content).digest('hex')}`,
    );
    expect(progress.at(-1)).toBe(content.length);
  });

  it('without a trailer name sends a sized body and no trailer', async () => {
    await adminUpload(conn(), 'PUT', 'api/v1/x', file, {}, () => undefined);
    const s = seen.at(-1)!;
    expect(Buffer.compare(s.body, content)).toBe(0);
    expect(s.headers['content-length']).toBe(String(content.length));
    expect(s.trailers).toEqual({});
  });
});
