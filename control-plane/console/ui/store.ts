// What the browser knows: the last value of each topic the server pushed, the split samples for
// the chart, and timings of every applied event (read by the benchmark and the tests through
// window.__console).
import type {
  SplitSample,
  WireEndpoint,
  WirePolicy,
  WireProblem,
  WireProxy,
  WireRegistryVersion,
  WireRollout,
  WireSession,
} from '../wire.js';
import type { ServerEvent } from './connection.js';

export type Session = WireSession;

export interface ConsoleData {
  session?: Session;
  policies: readonly WirePolicy[];
  endpoints: readonly WireEndpoint[];
  proxies: readonly WireProxy[];
  problems: readonly WireProblem[];
  rollouts: readonly WireRollout[];
  registry: { versions: readonly WireRegistryVersion[]; placement?: unknown };
  samples: SplitSample[];
  /** A source the server could not read, until the next good tick. */
  problem?: { code: string; message: string };
  /** Bumped when the policies (or the proxies) topic changes: views that fetch more (history,
   * audit, sync state) fetch again then, never on a timer. */
  policiesVersion: number;
  proxiesVersion: number;
}

export function emptyData(): ConsoleData {
  return {
    policies: [],
    endpoints: [],
    proxies: [],
    problems: [],
    rollouts: [],
    registry: { versions: [] },
    samples: [],
    policiesVersion: 0,
    proxiesVersion: 0,
  };
}

/** The chart's window: ten minutes of samples at most. */
const WINDOW_MS = 10 * 60 * 1000;

const TOPICS = new Set(['policies', 'endpoints', 'proxies', 'problems', 'rollouts', 'registry']);

/** Applies one server event to the data (in place) and says whether anything changed. */
export function applyEvent(d: ConsoleData, e: ServerEvent): boolean {
  if (e.event === 'session') d.session = e.data as Session;
  else if (e.event === 'history') d.samples = [...(e.data as SplitSample[])];
  else if (e.event === 'split') {
    const s = e.data as SplitSample;
    // A sample comes only from a tick that read every source: any earlier problem is over.
    d.problem = undefined;
    d.samples.push(s);
    while (d.samples.length > 0 && d.samples[0]!.t < s.t - WINDOW_MS) d.samples.shift();
  } else if (e.event === 'problem') d.problem = e.data as ConsoleData['problem'];
  else if (TOPICS.has(e.event)) {
    (d as unknown as Record<string, unknown>)[e.event] = e.data;
    if (e.event === 'policies') d.policiesVersion++;
    if (e.event === 'proxies') d.proxiesVersion++;
  } else return false;
  return true;
}

const RANK: Record<string, number> = { viewer: 1, operator: 2, admin: 3 };

/** May the session act (apply, roll back, pause) in this namespace? The server decides again. */
export function canAct(s: Session | undefined, namespace: string): boolean {
  return !!s?.bindings.some(
    (b) =>
      (RANK[b.role] ?? 0) >= RANK.operator! &&
      (b.namespaces.includes('*') || b.namespaces.includes(namespace)),
  );
}

/** Timings the benchmark reads: when each event arrived and when its render was committed. */
export interface Timing {
  readonly event: string;
  readonly sentAt: number;
  readonly receivedAt: number;
  renderedAt?: number;
  paintedAt?: number;
}

declare global {
  interface Window {
    __console?: {
      timings: Timing[];
      /** performance.now() when policies and endpoints were first committed to the DOM, and painted. */
      firstRenderAt?: number;
      firstPaintAt?: number;
    };
  }
}

export function timings(): NonNullable<Window['__console']> {
  window.__console ??= { timings: [] };
  return window.__console;
}
