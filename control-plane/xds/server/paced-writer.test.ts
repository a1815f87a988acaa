// Write pacing of one ADS stream (paced-writer.ts) against a target that holds every write until
// the test flushes it, as HTTP/2 holds grpc-js writes for a client that does not read. The
// slow-reader clock runs on fake timers; test/xds/limits.test.ts proves the same through a real
// server and a client that stops reading.
import { constants as h2 } from 'node:http2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PacedWriter, resetCall } from './paced-writer.js';

class HeldTarget {
  readonly written: string[] = [];
  private readonly held: Array<() => void> = [];
  write(msg: string, cb: (err?: Error | null) => void): boolean {
    this.written.push(msg);
    this.held.push(() => cb());
    return false;
  }
  /** Lets the oldest `n` held writes out, in order. */
  flush(n = 1): void {
    for (const cb of this.held.splice(0, n)) cb();
  }
}

const TIMEOUT = 100;

function setup() {
  const target = new HeldTarget();
  const events: string[] = [];
  const writer = new PacedWriter<string>(target, {
    slowReaderTimeoutMs: TIMEOUT,
    onDrained: () => events.push(`drained@${writer.pending}`),
    onSlowReader: () => events.push(`slow@${writer.pending}`),
  });
  return { target, events, writer };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PacedWriter', () => {
  it('counts writes until they are flushed, and reports drained only when the last one is out', () => {
    const { target, events, writer } = setup();
    expect(writer.pending).toBe(0);
    expect(writer.busy).toBe(false);
    writer.write('a');
    writer.write('b');
    expect(target.written).toEqual(['a', 'b']);
    expect(writer.pending).toBe(2);
    expect(writer.busy).toBe(true);
    target.flush();
    expect(writer.pending).toBe(1);
    expect(writer.busy).toBe(true);
    expect(events).toEqual([]);
    target.flush();
    expect(writer.pending).toBe(0);
    expect(writer.busy).toBe(false);
    expect(events).toEqual(['drained@0']);
  });

  it('reports a slow reader once the first unflushed write has waited the whole timeout', () => {
    const { target, events, writer } = setup();
    writer.write('a');
    vi.advanceTimersByTime(TIMEOUT / 2);
    // A later write does not restart the clock.
    writer.write('b');
    target.flush();
    vi.advanceTimersByTime(TIMEOUT / 2 - 1);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['slow@1']);
  });

  it('stops the clock when everything is flushed, and starts it again with the next write', () => {
    const { target, events, writer } = setup();
    writer.write('a');
    writer.write('b');
    target.flush(2);
    vi.advanceTimersByTime(TIMEOUT * 3);
    expect(events).toEqual(['drained@0']);
    writer.write('c');
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(events).toEqual(['drained@0']);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(['drained@0', 'slow@1']);
  });

  it('reports again when a writer left open after a report stays behind for another timeout', () => {
    const { events, writer } = setup();
    writer.write('a');
    vi.advanceTimersByTime(TIMEOUT);
    expect(events).toEqual(['slow@1']);
    writer.write('b');
    vi.advanceTimersByTime(TIMEOUT);
    expect(events).toEqual(['slow@1', 'slow@2']);
  });

  it('once closed, writes nothing, reports nothing and never drains', () => {
    const { target, events, writer } = setup();
    writer.write('a');
    writer.close();
    writer.write('b');
    expect(target.written).toEqual(['a']);
    expect(writer.pending).toBe(1);
    target.flush();
    vi.advanceTimersByTime(TIMEOUT * 3);
    expect(events).toEqual([]);
  });

  it('does not keep the process alive while a write waits', () => {
    const { writer } = setup();
    writer.write('a');
    // The timer is the writer's only handle on the event loop; a stuck client must not hold a
    // server's shutdown for the whole timeout.
    const timers = vi.getTimerCount();
    expect(timers).toBe(1);
    const handle = (writer as unknown as { timer: NodeJS.Timeout }).timer;
    expect(handle.hasRef()).toBe(false);
  });
});

describe('resetCall', () => {
  const stream = () => {
    const codes: number[] = [];
    return { codes, close: (code: number) => codes.push(code) };
  };

  it('resets the http2 stream found through call and nextCall with ENHANCE_YOUR_CALM', () => {
    const s = stream();
    expect(resetCall({ call: { nextCall: { stream: s } } })).toBe(true);
    expect(s.codes).toEqual([h2.NGHTTP2_ENHANCE_YOUR_CALM]);
  });

  it('prefers call over nextCall, and skips a stream without close', () => {
    const viaCall = stream();
    const viaNext = stream();
    const call = { stream: { close: 'no' }, call: { stream: viaCall }, nextCall: { stream: viaNext } };
    expect(resetCall(call)).toBe(true);
    expect(viaCall.codes).toEqual([h2.NGHTTP2_ENHANCE_YOUR_CALM]);
    expect(viaNext.codes).toEqual([]);
  });

  it('walks at most eight links, and is false when no stream is found', () => {
    const chain = (depth: number, s: object) => {
      let node: Record<string, unknown> = { stream: s };
      for (let i = 0; i < depth; i++) node = { nextCall: node };
      return node;
    };
    const deepest = stream();
    expect(resetCall(chain(7, deepest))).toBe(true);
    expect(deepest.codes).toHaveLength(1);
    const tooDeep = stream();
    expect(resetCall(chain(8, tooDeep))).toBe(false);
    expect(tooDeep.codes).toEqual([]);
    expect(resetCall({})).toBe(false);
    expect(resetCall(undefined)).toBe(false);
  });
});
