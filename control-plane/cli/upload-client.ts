// Streams a file as the body of one admin API request (the registry's push), reporting bytes
// sent as they leave; the server bounds the size and hashes the stream. Credentials and TLS as
// in admin-client.ts; errors come back as SwitchyardErrors with the server's code.
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
): Promise<{ status: number; body: T }> {
  const { url, credentials, tls, send } = adminTarget(c, path);
  const total = statSync(file).size;
  const h: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/octet-stream',
    'content-length': String(total),
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
    const body = createReadStream(file, { highWaterMark: 1024 * 1024 });
    body.on('data', (chunk) => {
      sent += chunk.length;
      progress(sent, total);
    });
    body.on('error', (err) => req.destroy(err));
    body.pipe(req);
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
