// Write pacing of one ADS stream. grpc-js queues every write in memory until HTTP/2 flow control
// lets it out, so a client that stops reading would make the server hold every response pushed
// since (streams x pushes). The stream therefore builds nothing new while a write is unflushed:
// the next flush, once everything is out, sends the latest state, so an unread stream holds at
// most one response per type, and a newer snapshot replaces what an older one would have sent.
// A stream that stays behind longer than the slow-reader timeout is closed.
import { constants as h2 } from 'node:http2';

export interface WriteTarget<T> {
  write(msg: T, cb: (err?: Error | null) => void): boolean;
}

export interface PacedWriterOptions {
  readonly slowReaderTimeoutMs: number;
  /** Everything written so far is flushed: the stream may build its next responses. */
  readonly onDrained: () => void;
  /** Responses stayed unflushed for the whole timeout. */
  readonly onSlowReader: () => void;
}

export class PacedWriter<T> {
  private unflushed = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly target: WriteTarget<T>,
    private readonly opts: PacedWriterOptions,
  ) {}

  /** Responses written to grpc-js that HTTP/2 has not sent yet. */
  get pending(): number {
    return this.unflushed;
  }

  get busy(): boolean {
    return this.unflushed > 0;
  }

  write(msg: T): void {
    if (this.closed) return;
    this.unflushed++;
    // The clock runs from the first unflushed write until everything is out, not per write.
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.opts.onSlowReader();
      }, this.opts.slowReaderTimeoutMs);
      this.timer.unref();
    }
    this.target.write(msg, () => {
      if (--this.unflushed > 0 || this.closed) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.opts.onDrained();
    });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

interface ResettableStream {
  close(code: number): void;
}

/**
 * Resets the HTTP/2 stream under a grpc-js server call with ENHANCE_YOUR_CALM (gRPC clients
 * report RESOURCE_EXHAUSTED). A status cannot reach a client that does not read: it would queue
 * behind the unread data. grpc-js has no public reset, so this walks its call chain to the
 * http2 stream; false when the shape is not found (the caller then only ends the call).
 */
export function resetCall(call: unknown): boolean {
  let node = call as Record<string, unknown> | undefined;
  for (let depth = 0; node && depth < 8; depth++) {
    const stream = node.stream as Partial<ResettableStream> | undefined;
    if (stream && typeof stream.close === 'function') {
      stream.close(h2.NGHTTP2_ENHANCE_YOUR_CALM);
      return true;
    }
    node = (node.call ?? node.nextCall) as Record<string, unknown> | undefined;
  }
  return false;
}
