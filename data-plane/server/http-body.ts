// Reading inference request bodies and writing inference answers on node:http: plain JSON, or
// a JSON header followed by binary tensors (http-binary.ts). Binary bytes are never formatted:
// inputs are views into one buffer of their own, outputs go to the socket as they are.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CancelledError, InvalidInferenceError, PayloadTooLargeError } from '../errors.js';
import { BinaryTail, checkHeaderLength, HEADER_LENGTH_HEADER } from './http-binary.js';
import type { EncodedInfer } from './http-json.js';

export interface BodyLimits {
  /** A body that is all JSON. */
  readonly json: number;
  /** A body with binary tensors: the pod's message limit (its JSON header is still held to `json`). */
  readonly binary: number;
}

/** The JSON inference header, parsed, and the binary bytes after it (when the request has any). */
export interface InferBody {
  readonly json: unknown;
  readonly tail?: BinaryTail;
}

/** The declared Content-Length, or undefined for a chunked body. */
function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  const n = Number(v);
  return v !== undefined && Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The body's chunks; with `sink`, each chunk goes there as it arrives instead (nothing is kept),
 * so a body of known length is copied where it belongs while the rest is still on its way.
 */
function collect(
  req: IncomingMessage,
  limit: number,
  what: string,
  sink?: (chunk: Buffer, at: number) => void,
): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > limit) {
      reject(new PayloadTooLargeError(limit, what));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        // Nothing more is kept; the rest is read and dropped until the connection closes.
        req.on('data', () => {});
        chunks.length = 0;
        reject(new PayloadTooLargeError(limit, what));
        return;
      }
      if (!sink) chunks.push(c);
      else
        try {
          sink(c, size - c.length);
        } catch (err) {
          // Only a body longer than its Content-Length could get here, which Node's parser prevents.
          req.removeAllListeners('data');
          req.on('data', () => {});
          reject(err);
        }
    });
    req.on('end', () => resolve({ chunks, size }));
    req.on('error', reject);
    // A client that hangs up mid-body must not keep its admission ticket (a drain waits on
    // it). Node mostly reports that as 'error'; 'close' before 'complete' catches the rest.
    req.on('close', () => {
      if (!req.complete) reject(new CancelledError());
    });
  });
}

/** Copies a chunk that starts at body offset `at` into the JSON header and the binary tail. */
function place(c: Buffer, at: number, head: Buffer, tail: Buffer): void {
  const inHead = head.length - at;
  if (inHead > 0) head.set(c.subarray(0, Math.min(inHead, c.length)), at);
  if (inHead < c.length) tail.set(c.subarray(Math.max(inHead, 0)), Math.max(at - head.length, 0));
}

/** Copies bytes [from, to) of the chunks into `out` (one copy: what concatenation costs anyway). */
function copyRange(chunks: readonly Buffer[], from: number, to: number, out: Uint8Array): void {
  let pos = 0;
  let at = 0;
  for (const c of chunks) {
    const start = Math.max(from - pos, 0);
    const end = Math.min(to - pos, c.length);
    if (start < end) {
      out.set(c.subarray(start, end), at);
      at += end - start;
    }
    pos += c.length;
    if (pos >= to) break;
  }
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidInferenceError([
      { path: '', message: `${what} is not JSON: ${(err as Error).message}` },
    ]);
  }
}

/**
 * The body, refused as soon as its declared or received size passes its limit. With a header
 * length the binary tail gets an ArrayBuffer of its own, starting at offset 0: a single binary
 * input then moves to the session worker without another copy, and typed views over it are
 * aligned (later inputs are aligned when the sizes before them are multiples of their element
 * size; otherwise the worker copies them, as it does any unaligned bytes).
 */
export async function readInferBody(
  req: IncomingMessage,
  headerLength: number | undefined,
  limits: BodyLimits,
): Promise<InferBody> {
  if (headerLength === undefined) {
    const { chunks, size } = await collect(req, limits.json, 'JSON request body');
    return { json: parseJson(Buffer.concat(chunks, size), 'body') };
  }
  const declared = declaredLength(req);
  if (declared !== undefined && declared <= limits.binary) {
    // Known length: refused before reading when the header cannot fit, else copied as it comes.
    checkHeaderLength(headerLength, declared, limits.json);
    const head = Buffer.allocUnsafe(headerLength);
    // allocUnsafeSlow: never a slice of Node's shared pool, so the buffer can be transferred.
    const tail = Buffer.allocUnsafeSlow(declared - headerLength);
    await collect(req, limits.binary, 'request body', (c, at) => place(c, at, head, tail));
    return { json: parseJson(head, 'the JSON inference header'), tail: new BinaryTail(tail) };
  }
  const { chunks, size } = await collect(req, limits.binary, 'request body');
  checkHeaderLength(headerLength, size, limits.json);
  const head = Buffer.allocUnsafe(headerLength);
  copyRange(chunks, 0, headerLength, head);
  const tail = Buffer.allocUnsafeSlow(size - headerLength);
  copyRange(chunks, headerLength, size, tail);
  return { json: parseJson(head, 'the JSON inference header'), tail: new BinaryTail(tail) };
}

/** 200 with the answer: JSON alone, or the JSON header and the binary outputs after it. */
export function sendInfer(res: ServerResponse, encoded: EncodedInfer): void {
  const head = Buffer.from(JSON.stringify(encoded.json));
  if (encoded.binary.length === 0) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': head.length });
    res.end(head);
    return;
  }
  let length = head.length;
  for (const b of encoded.binary) length += b.byteLength;
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    [HEADER_LENGTH_HEADER]: head.length,
    'content-length': length,
  });
  // One write to the socket (writev) for the header and every tensor, none of them copied.
  res.cork();
  res.write(head);
  for (const b of encoded.binary) res.write(b);
  res.end();
}
