// The console's Server-Sent Events: one sampler reads the sources on a timer (the browser never
// polls), and each open stream gets only the topics that changed for its caller, plus one sample
// of the traffic split per tick for the chart. A stream that cannot keep up is dropped; the
// browser reconnects and starts from a full state again.
import type { ServerResponse } from 'node:http';
import { asSwitchyardError, UnavailableError } from '../../kernel/errors/index.js';
import type { Principal } from '../auth/rbac.js';
import { allowed } from '../auth/rbac.js';
import {
  type ConsoleSources,
  type ConsoleState,
  gatherState,
  seesAll,
  sessionOf,
  splitOf,
  TOPICS,
  type Topic,
  toWire,
  visibleState,
} from './console-state.js';
import type { SplitSample } from './wire.js';

export interface ConsoleHubOptions {
  /** How often the sources are read while a console is open. */
  readonly tickMs: number;
  /** Split samples kept for the chart (tickMs apart while watched). */
  readonly historySamples: number;
  /** Open streams at most; more are refused with 503. */
  readonly maxStreams: number;
  /** Bytes buffered unsent on one stream before it is dropped. */
  readonly maxBufferedBytes: number;
  /** How often a stream's credentials are checked again (an expired token, a removed key). */
  readonly recheckMs: number;
}

export const DEFAULT_HUB_OPTIONS: ConsoleHubOptions = {
  tickMs: 500,
  historySamples: 600,
  maxStreams: 64,
  maxBufferedBytes: 16 * 1024 * 1024,
  recheckMs: 30_000,
};

/** Authenticates the stream's request again: its caller now, or a throw when refused. */
export type Recheck = () => Promise<Principal>;

/** While no console is open the split is still sampled, this many ticks apart. */
const IDLE_TICKS = 10;

interface Stream {
  readonly res: ServerResponse;
  principal: Principal;
  readonly sent: Map<Topic, string>;
  readonly recheck: Recheck;
  checkedAt: number;
}

export class ConsoleHub {
  private readonly streams = new Set<Stream>();
  private readonly history: SplitSample[] = [];
  private timer?: NodeJS.Timeout;
  private running = false;
  private ticks = 0;
  private closed = false;

  constructor(
    private readonly sources: ConsoleSources,
    private readonly opts: ConsoleHubOptions = DEFAULT_HUB_OPTIONS,
  ) {}

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      this.ticks++;
      if (this.streams.size > 0 || this.ticks % IDLE_TICKS === 0) void this.tick();
    }, this.opts.tickMs);
    this.timer.unref();
    void this.tick();
  }

  /** Throws UnavailableError when the stream limit is reached (before any byte is written). */
  admit(): void {
    if (this.streams.size >= this.opts.maxStreams)
      throw new UnavailableError(`too many console streams open (${this.opts.maxStreams}); retry later`);
  }

  /** Takes over an SSE response whose headers are written: the session, the chart's history, then topics. */
  attach(res: ServerResponse, principal: Principal, recheck: Recheck = async () => principal): void {
    const stream: Stream = { res, principal, sent: new Map(), recheck, checkedAt: Date.now() };
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
    // The browser's reconnect delay after a dropped stream.
    res.write('retry: 2000\n\n');
    send(stream, 'session', sessionOf(principal));
    const visible = new Set(this.visibleModels(principal));
    send(
      stream,
      'history',
      this.history.map((s) => cutSample(s, visible)),
    );
    if (this.latest) this.publishTo(stream, this.latest, new Map());
    this.start();
    void this.tick();
  }

  get size(): number {
    return this.streams.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private lastModels = new Map<string, string>();
  /** The last state read: a new stream starts from it at once rather than at the next tick. */
  private latest?: ConsoleState;

  private visibleModels(p: Principal): string[] {
    return [...this.lastModels].filter(([, ns]) => allowed(p, 'get', ns)).map(([m]) => m);
  }

  /** One read of every source, then each stream's changed topics. Ticks never overlap. */
  private async tick(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      const state = await gatherState(this.sources);
      this.lastModels = new Map(state.policies.map((p) => [p.model, p.namespace]));
      const sample: SplitSample = { t: Date.now(), models: splitOf(state.policies) };
      this.history.push(sample);
      if (this.history.length > this.opts.historySamples) this.history.shift();
      this.latest = state;
      this.publish(state, sample);
    } catch (err) {
      // A source that fails (the store unreachable) is shown in every open console; the views
      // keep their last state, as the API would answer 503 meanwhile.
      const e = asSwitchyardError(err);
      for (const st of this.streams) send(st, 'problem', { code: e.code, message: e.message });
    } finally {
      this.running = false;
    }
  }

  private publish(state: ConsoleState, sample: SplitSample): void {
    const shared = new Map<Topic, string>();
    for (const s of this.streams) {
      if (s.res.writableLength > this.opts.maxBufferedBytes) {
        s.res.destroy();
        continue;
      }
      if (Date.now() - s.checkedAt >= this.opts.recheckMs) void this.recheck(s);
      this.publishTo(s, state, shared);
      const visible = new Set(
        seesAll(s.principal) ? Object.keys(sample.models) : this.visibleModels(s.principal),
      );
      send(s, 'split', cutSample(sample, visible));
    }
  }

  /**
   * A stream outlives the token it was opened with: its request is authenticated again now and
   * then, and a refused one is told why and ended (the browser then shows the login form). A
   * caller whose roles changed gets its topics cut anew.
   */
  private async recheck(s: Stream): Promise<void> {
    s.checkedAt = Date.now();
    try {
      s.principal = await s.recheck();
    } catch (err) {
      const e = asSwitchyardError(err);
      send(s, 'refused', { code: e.code, message: e.message });
      // Out of the set now, not at 'close': a reader slow to take the last bytes keeps the
      // response open past the next tick, and a write after end() is an 'error' event that,
      // with no listener, ended the whole control-plane process.
      this.streams.delete(s);
      s.res.end();
    }
  }

  /** The topics that changed for this stream's caller; `shared` caches what every full viewer gets. */
  private publishTo(s: Stream, state: ConsoleState, shared: Map<Topic, string>): void {
    const all = seesAll(s.principal);
    const view = toWire(all ? state : visibleState(state, s.principal));
    for (const topic of TOPICS) {
      let json = all ? shared.get(topic) : undefined;
      if (json === undefined) {
        json = JSON.stringify(view[topic]);
        if (all) shared.set(topic, json);
      }
      if (s.sent.get(topic) === json) continue;
      s.sent.set(topic, json);
      write(s, topic, json);
    }
  }
}

function cutSample(s: SplitSample, visible: ReadonlySet<string>): SplitSample {
  return { t: s.t, models: Object.fromEntries(Object.entries(s.models).filter(([m]) => visible.has(m))) };
}

function send(s: Stream, event: string, data: unknown): void {
  write(s, event, JSON.stringify(data));
}

/** Every event carries the server's send time, so the browser can time delivery and rendering. */
function write(s: Stream, event: string, json: string): void {
  s.res.write(`event: ${event}\ndata: {"at":${Date.now()},"data":${json}}\n\n`);
}
