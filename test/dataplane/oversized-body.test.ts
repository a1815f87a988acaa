// A body over the pod's limit is answered 413 with `Connection: close`, and the client still
// writing it reads that answer, not EPIPE or ECONNRESET: the pod half-closes and reads (and
// drops) what still arrives, within LINGER's bytes and time, before it closes the connection.
// docs/DATAPLANE.md, "Limits".
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../data-plane/pod.js';
import { LINGER } from '../../data-plane/server/lingering-close.js';
import { modelRepoCopy, startTestPod } from './harness.js';

const LIMIT = 64 * 1024;
const BODY_BYTES = 64 * 1024 * 1024;
const INFER = '/v2/models/mlp/infer';

interface Outcome {
  readonly status?: number;
  readonly connection?: string;
  readonly body?: { error?: string; code?: string };
  /** Every error the client saw, whenever it came. */
  readonly errors: string[];
}

/**
 * A plain node:http client POSTing a 64 MiB body, written chunk by chunk as fast as the socket
 * takes it (the way a client streams an upload), without stopping when the answer comes.
 */
function upload(port: number, declareLength: boolean): Promise<Outcome> {
  const chunk = Buffer.alloc(256 * 1024, 0x30);
  return new Promise((resolve) => {
    const errors: string[] = [];
    let out: Omit<Outcome, 'errors'> = {};
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: INFER,
      headers: {
        'content-type': 'application/json',
        ...(declareLength ? { 'content-length': BODY_BYTES } : {}),
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () => {
        out = { status: res.statusCode, connection: res.headers.connection, body: JSON.parse(text) };
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => errors.push(err.code ?? err.message));
    req.on('close', () => resolve({ ...out, errors }));
    let sent = 0;
    const pump = () => {
      while (!req.destroyed && sent < BODY_BYTES) {
        sent += chunk.length;
        if (sent >= BODY_BYTES) {
          req.end(chunk);
          return;
        }
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/**
 * A raw client that never stops sending (it ignores the pod's FIN, never reads to the end of its
 * body): `gapMs` 0 writes as fast as the socket drains, else 1 KiB every `gapMs`. Resolves when
 * the pod cuts it off, with the time from the 413 to the cut and the bytes it wrote after the 413.
 */
function sendForever(
  port: number,
  gapMs: number,
): Promise<{ answered: string; cutAfterMs: number; sentAfter: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let received = '';
    let answeredAt = 0;
    let sent = 0;
    let sentAtAnswer = 0;
    const piece = Buffer.alloc(gapMs === 0 ? 256 * 1024 : 1024, 0x30);
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (!answeredAt && received.includes('\r\n\r\n')) {
        answeredAt = performance.now();
        sentAtAnswer = sent;
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      if (!answeredAt) reject(new Error(`cut off without an answer: ${JSON.stringify(received)}`));
      else
        resolve({
          answered: received,
          cutAfterMs: performance.now() - answeredAt,
          sentAfter: sent - sentAtAnswer,
        });
    });
    socket.once('connect', () => {
      socket.write(`POST ${INFER} HTTP/1.1\r\nHost: pod\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = () =>
        Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
      if (gapMs > 0)
        timer = setInterval(() => {
          if (socket.destroyed) return;
          socket.write(chunk());
          sent += piece.length;
        }, gapMs);
      else {
        const pump = () => {
          while (!socket.destroyed) {
            sent += piece.length;
            if (!socket.write(chunk())) {
              socket.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }
    });
  });
}

/**
 * A client that writes its whole body (`bytes`, declared) before it reads anything, as simple
 * blocking clients do; resolves with what it then reads, or the error that came instead.
 */
function writeThenRead(port: number, bytes: number): Promise<{ answer: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    let error: string | undefined;
    socket.pause();
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error ??= err.code ?? err.message;
    });
    socket.on('close', () => resolve({ answer, ...(error ? { error } : {}) }));
    socket.once('connect', () => {
      socket.write(`POST ${INFER} HTTP/1.1\r\nHost: pod\r\nContent-Length: ${bytes}\r\n\r\n`);
      socket.write(Buffer.alloc(bytes, 0x30), () => {
        socket.on('data', (d: Buffer) => {
          answer += d.toString('latin1');
        });
        socket.resume();
      });
    });
  });
}

describe('an oversized REST body', () => {
  let repo: Awaited<ReturnType<typeof modelRepoCopy>>;
  let pod: Pod;

  beforeAll(async () => {
    repo = await modelRepoCopy(['mlp']);
    pod = await startTestPod(repo.dir, { maxBodyBytes: LIMIT, maxJsonBodyBytes: LIMIT });
  });

  afterAll(async () => {
    await pod?.close();
    await repo?.cleanup();
  });

  it.each([
    ['declared (refused before it is read)', true],
    ['chunked (refused once the limit is passed)', false],
  ])(
    '%s: a client writing 64 MiB reads the 413 and its error, and no EPIPE or reset',
    async (_, declared) => {
      for (let i = 0; i < 3; i++) {
        const out = await upload(pod.ports.http, declared);
        // Both at once: a failure shows whether the answer came before (or instead of) the error.
        expect({ status: out.status, errors: out.errors }).toEqual({ status: 413, errors: [] });
        expect(out.connection).toBe('close');
        expect(out.body).toEqual({
          error: `JSON request body is over the limit of ${LIMIT} bytes`,
          code: 'SY_PAYLOAD_TOO_LARGE',
        });
      }
      // The pod serves on.
      const live = await fetch(`http://127.0.0.1:${pod.ports.http}/v2/health/live`);
      expect(live.status).toBe(200);
    },
  );

  it('lets a client that writes all its body before reading (within the byte bound) read the 413', async () => {
    const bytes = LINGER.bytes / 2;
    for (let i = 0; i < 3; i++) {
      const out = await writeThenRead(pod.ports.http, bytes);
      expect({ error: out.error, status: out.answer.slice(0, 12) }).toEqual({
        error: undefined,
        status: 'HTTP/1.1 413',
      });
      expect(out.answer).toContain(`"code":"SY_PAYLOAD_TOO_LARGE"`);
    }
  });

  it('cuts off a client that sends forever once it has sent the byte bound after the answer', async () => {
    const out = await sendForever(pod.ports.http, 0);
    console.log(
      `full-speed sender: cut ${out.cutAfterMs.toFixed(0)} ms after the 413, having written ${(out.sentAfter / 2 ** 20).toFixed(1)} MiB since`,
    );
    expect(out.answered).toMatch(/^HTTP\/1\.1 413 /);
    expect(out.answered).toMatch(/\r\nconnection: close\r\n/i);
    // Cut by bytes, long before the time bound; what it wrote past the bound sat in the two
    // sockets' buffers (a few MiB each on loopback).
    expect(out.cutAfterMs).toBeLessThan(LINGER.ms / 2);
    expect(out.sentAfter).toBeLessThan(LINGER.bytes + 32 * 1024 * 1024);
  });

  it('cuts off a slow client that sends forever once the time bound has passed', async () => {
    const out = await sendForever(pod.ports.http, 10);
    console.log(`slow sender: cut ${out.cutAfterMs.toFixed(0)} ms after the 413`);
    expect(out.answered).toMatch(/^HTTP\/1\.1 413 /);
    expect(out.sentAfter).toBeLessThan(LINGER.bytes);
    // Held while it lingers (the answer came within a few ms of the refusal), then let go.
    expect(out.cutAfterMs).toBeGreaterThan(LINGER.ms - 250);
    expect(out.cutAfterMs).toBeLessThan(LINGER.ms + 1500);
  });
});
