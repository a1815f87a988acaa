// gRPC over HTTP/2, the wire's pure parts (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md):
// length-prefixed messages, the grpc-timeout header and grpc-message's percent-encoding.
import { status } from '@grpc/grpc-js';

/** A status a call ends with before or instead of its handler's answer. */
export interface WireStatus {
  readonly code: status;
  readonly details: string;
}

/** One message as it goes on the wire: flag 0 (uncompressed), big-endian length, bytes. */
export function frame(message: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(5 + message.length);
  b[0] = 0;
  b.writeUInt32BE(message.length, 1);
  b.set(message, 5);
  return b;
}

/**
 * Splits a request stream's DATA into messages. A message in one chunk is handed on as a view
 * of that chunk (protobuf-es decodes views, no copy); one spread over chunks is joined once, when
 * its last byte has come (never chunk by chunk: a 64 MiB message comes in 16 KiB frames).
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Length of the message whose header was read; -1 while waiting for a header. */
  private expected = -1;
  readonly messages: Buffer[] = [];

  constructor(private readonly maxBytes: number) {}

  /** Takes a chunk; a status when the stream must end at once (too large, compressed). */
  push(chunk: Buffer): WireStatus | undefined {
    // The usual unary request: one chunk holding exactly one uncompressed message, taken as a
    // view without the pending list (two arrays per call otherwise).
    if (
      this.pendingBytes === 0 &&
      chunk.length >= 5 &&
      chunk[0] === 0 &&
      chunk.readUInt32BE(1) === chunk.length - 5 &&
      chunk.length - 5 <= this.maxBytes
    ) {
      this.messages.push(chunk.subarray(5));
      return undefined;
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.pendingBytes < 5) return undefined;
        if (this.pending[0]!.length < 5) this.pending = [this.joined()];
        const head = this.pending[0]!;
        // No grpc-encoding is negotiated, so a compressed message cannot be read (grpc does the same).
        if (head[0] !== 0)
          return { code: status.INTERNAL, details: 'compressed message received without grpc-encoding' };
        const length = head.readUInt32BE(1);
        if (length > this.maxBytes)
          return {
            code: status.RESOURCE_EXHAUSTED,
            details: `Received message larger than max (${length} vs. ${this.maxBytes})`,
          };
        this.expected = length;
      }
      if (this.pendingBytes < 5 + this.expected) return undefined;
      const buf = this.joined();
      const end = 5 + this.expected;
      this.messages.push(buf.subarray(5, end));
      this.pending = end < buf.length ? [buf.subarray(end)] : [];
      this.pendingBytes = buf.length - end;
      this.expected = -1;
    }
  }

  /** Bytes of a message begun and not finished (at the stream's end: a truncated message). */
  get partial(): number {
    return this.pendingBytes;
  }

  private joined(): Buffer {
    return this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
  }
}

const UNIT_MS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

/** grpc-timeout ("1-8 digits" then H M S m u n) in ms; undefined when absent or malformed. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** grpc-message: bytes outside printable ASCII, and '%', percent-encoded as UTF-8. */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
