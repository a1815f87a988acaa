// The CLI's side of the admin API: JSON over HTTP or HTTPS (with a private CA and a client
// certificate for mTLS), credentials as headers, errors turned back into SwitchyardErrors.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isErrorCode, SwitchyardError, UnavailableError } from '../../kernel/errors/index.js';
import type { Connection } from './connection.js';
import { explainForeignAnswer, explainTransportError } from './transport-errors.js';

/** Where and how a request reaches the admin API: its URL, transport, credentials and TLS files. */
export function adminTarget(c: Connection, path: string) {
  const url = new URL(path, c.server.endsWith('/') ? c.server : `${c.server}/`);
  const credentials: Record<string, string> = {};
  if (c.token) credentials.authorization = `Bearer ${c.token}`;
  if (c.apiKey) credentials['x-api-key'] = c.apiKey;
  const tls =
    url.protocol === 'https:'
      ? {
          ...(c.ca ? { ca: readFileSync(c.ca) } : {}),
          ...(c.cert ? { cert: readFileSync(c.cert), key: readFileSync(c.key!) } : {}),
        }
      : {};
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return { url, credentials, tls, send };
}

export async function adminRequest<T>(
  conn: Connection | string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const c: Connection = typeof conn === 'string' ? { server: conn, namespace: 'default' } : conn;
  const { url, credentials, tls, send } = adminTarget(c, path);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h: Record<string, string> = { accept: 'application/json', ...headers };
  if (payload !== undefined) h['content-type'] = 'application/json';
  Object.assign(h, credentials);
  const { status, text, contentType } = await new Promise<{
    status: number;
    text: string;
    contentType: string | undefined;
  }>((resolve, reject) => {
    const req = send(url, { method, headers: h, timeout: 15_000, ...tls }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        data += d;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: data, contentType: res.headers['content-type'] }),
      );
      res.on('error', (err) =>
        reject(
          new UnavailableError(
            `cannot reach the admin API at ${c.server}: ${explainTransportError(c.server, err)}`,
          ),
        ),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) =>
      reject(
        new UnavailableError(
          `cannot reach the admin API at ${c.server}: ${explainTransportError(c.server, err)}`,
        ),
      ),
    );
    req.end(payload);
  });
  const foreign = explainForeignAnswer(c.server, status, contentType);
  if (foreign && text) throw new UnavailableError(foreign);
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
  return json as T;
}
