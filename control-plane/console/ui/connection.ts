// The browser's side of the admin API: the credential the operator typed (kept for this tab
// only), the event stream and the calls behind the actions. The stream is Server-Sent Events
// read with fetch rather than EventSource, because EventSource cannot send the API key or bearer
// token header the API authenticates with, and a credential in a URL or a cookie would be a
// second way in.

const STORAGE_KEY = 'switchyard.credential';

export function savedCredential(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function saveCredential(value: string | undefined): void {
  if (value) sessionStorage.setItem(STORAGE_KEY, value);
  else sessionStorage.removeItem(STORAGE_KEY);
}

/** A JWT has three dot-separated parts; anything else is taken as an API key; nothing: anonymous. */
export function authHeaders(credential: string): Record<string, string> {
  if (credential === '') return {};
  return credential.split('.').length === 3
    ? { authorization: `Bearer ${credential}` }
    : { 'x-api-key': credential };
}

export interface ServerEvent {
  readonly event: string;
  /** The server's send time (Unix ms). */
  readonly at: number;
  readonly data: unknown;
  /** When the browser had parsed it (performance.now()). */
  readonly receivedAt: number;
}

export interface StreamHandlers {
  onEvent(e: ServerEvent): void;
  /** connected | reconnecting; refused: the credential was refused (status and message). */
  onStatus(
    s: { state: 'connected' | 'reconnecting' } | { state: 'refused'; status: number; message: string },
  ): void;
}

/** Opens the stream and keeps it open (reconnecting) until the returned function is called. */
export function openEvents(credential: string, h: StreamHandlers): () => void {
  const abort = new AbortController();
  let retryMs = 2000;
  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        const res = await fetch('/api/v1/events', { headers: authHeaders(credential), signal: abort.signal });
        if (res.status === 401 || res.status === 403) {
          const body = (await res.json().catch(() => ({}))) as { message?: string };
          h.onStatus({ state: 'refused', status: res.status, message: body.message ?? res.statusText });
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        h.onStatus({ state: 'connected' });
        retryMs = await readEvents(res.body, h.onEvent, retryMs);
      } catch {
        if (abort.signal.aborted) return;
      }
      h.onStatus({ state: 'reconnecting' });
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  void run();
  return () => abort.abort();
}

/** Parses text/event-stream frames until the stream ends; returns the server's retry delay. */
async function readEvents(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: ServerEvent) => void,
  retryMs: number,
): Promise<number> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return retryMs;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      let event = 'message';
      const data: string[] = [];
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('retry: ')) retryMs = Number(line.slice(7)) || retryMs;
      }
      if (data.length === 0) continue;
      const parsed = JSON.parse(data.join('\n')) as { at: number; data: unknown };
      onEvent({ event, at: parsed.at, data: parsed.data, receivedAt: performance.now() });
    }
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One admin API call; a refusal becomes an ApiError carrying the API's own code and message. */
export async function api<T = unknown>(
  credential: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      ...authHeaders(credential),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!res.ok)
    throw new ApiError(res.status, json.code ?? `HTTP_${res.status}`, json.message ?? res.statusText);
  return json as T;
}
