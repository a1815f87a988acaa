// The CLI's side of the admin API: GET/POST JSON, errors turned back into SwitchyardErrors.
import { isErrorCode, SwitchyardError, UnavailableError } from '../errors/index.js';

export async function adminRequest<T>(
  server: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const url = new URL(path, server.endsWith('/') ? server : `${server}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new UnavailableError(
      `cannot reach the admin API at ${server}: ${(err as Error).cause ?? (err as Error).message}`,
    );
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = json as { code?: string; message?: string } | undefined;
    const code = e?.code && isErrorCode(e.code) ? e.code : 'SY_INTERNAL';
    throw new SwitchyardError(code, e?.message ?? `${method} ${path}: HTTP ${res.status}`);
  }
  return json as T;
}
