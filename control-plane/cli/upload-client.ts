// Streams a file as the body of one admin API request (the registry's push), reporting bytes
// sent as they leave; the server bounds the size and hashes the stream. With `digestTrailer` the
// file's sha256 is computed from the very chunks sent and follows the body as that trailer, so
// the file is read once, not once to hash it and again to send it. Credentials and TLS as in
// admin-client.ts; errors come back as SwitchyardErrors with the server's code.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { isErrorCode, SwitchyardError, UnavailableError } from '../../kernel/errors/index.js';
import { adminTarget } from './admin-client.js';
import type { Connection } from './connection.js';
import { explainTransportError } from './transport-errors.js';

export async function adminUpload<T>(
  c: Connection,
  method: string,
  path: string,
  file: string,
  headers: Record<string, string>,
  progress: (sent: number, total: number) => void,
  digestTrailer?: string,
): Promise<{ status: number; body: T }> {
  const { url, credentials, tls, send } = adminTarget(c, path);
  const total = statSync(file).size;
  // Trailers need a chunked body (HTTP/1.1); the server bounds the size as it reads either way.
  const h: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/octet-stream',
    ...(digestTrailer ? { trailer: digestTrailer } : { 'content-length': String(total) }),
    ...headers,
  };
  Object.assign(h, credentials);
  const unreachable = (err: Error) =>
    new UnavailableError(
      `cannot reach the admin API at ${c.server}: ${explainTransportError(c.server, err)}`,
    );
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    // No socket timeout: a large model on a slow link takes as long as it takes; the server bounds it.
    const req = send(url, { method, headers: h, ...tls }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        data += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
      res.on('error', (err) => reject(unreachable(err)));
    });
    req.on('error', (err) => reject(unreachable(err)));
    let sent = 0;
    const hash = digestTrailer ? createHash('sha256') : undefined;
    const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
    body.on('data', (chunk) => {
      hash?.update(chunk);
      sent += chunk.length;
      progress(sent, total);
    });
    body.on('error', (err) => req.destroy(err));
    body.pipe(req, { end: !digestTrailer });
    if (digestTrailer)
      body.on('end', () => {
        req.addTrailers({ [digestTrailer]: `sha256:${hash!.digest('hex')}` });
        req.end();
      });
  });
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (status < 200 || status >= 300) {
    const e = json as { code?: string; message?: string } | undefined;
    const code = e?.code && isErrorCode(e.code) ? e.code : 'SY_INTERNAL';
    throw new SwitchyardError(code, e?.message ?? `${method} ${url.pathname}: HTTP ${status}`);
  }
  return { status, body: json as T };
}
