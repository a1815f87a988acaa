// Times the pod's own session path: a session worker (data-plane/runtime/session-worker.ts) loaded
// with a provider, fed batches over the worker protocol. Reports what the worker says it runs on
// (and why it fell back), its load time, and the median of the session.run times it measures.
import { Worker } from 'node:worker_threads';
import { BUILTIN_MODEL_DEFAULTS, type ExecutionProviderName } from '../../../data-plane/repository/config.js';
import type { FromWorker, LoadedMessage, WireTensor } from '../../../data-plane/runtime/protocol.js';
import { WORKER_URL } from '../../../data-plane/runtime/spare-workers.js';

export interface TimedModel {
  readonly name: string;
  readonly path: string;
  readonly input: string;
  /** One row's shape, without the batch dimension. */
  readonly row: readonly number[];
  /** Its config's max_batch_size: the largest request a pod accepts for it. */
  readonly maxBatch: number;
}

export interface Series {
  readonly batch: number;
  readonly runs: number;
  readonly p50Ms: number;
  readonly minMs: number;
  /** Median round trip through the worker (hop, copies and run). */
  readonly p50TripMs: number;
}

export interface TimingResult {
  readonly model: string;
  readonly requested: ExecutionProviderName;
  readonly provider?: ExecutionProviderName;
  readonly fallbackReason?: string;
  readonly loadMs?: number;
  readonly loadError?: string;
  readonly series: Series[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Inputs in [0,1) from a fixed sequence, so no run meets an all-zero fast path. */
function input(m: TimedModel, batch: number): WireTensor {
  const dims = [batch, ...m.row];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return {
    name: m.input,
    type: 'float32',
    dims,
    buffer: data.buffer,
    byteOffset: 0,
    byteLength: data.byteLength,
  };
}

class Session {
  private readonly worker = new Worker(WORKER_URL);
  private waiting: { resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;

  constructor() {
    this.worker.on('message', (m: FromWorker) => this.waiting?.resolve(m));
    this.worker.on('error', (e) => this.waiting?.reject(e));
  }

  /** One message out, its answer back: the worker answers each load and run once, in order. */
  private next(send: unknown, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.worker.postMessage(send, transfer);
    });
  }

  load(path: string, provider: ExecutionProviderName): Promise<FromWorker> {
    return this.next({
      type: 'load',
      modelPath: path,
      executionProvider: provider,
      session: BUILTIN_MODEL_DEFAULTS.session,
      injectDelayMs: 0,
    });
  }

  async run(t: WireTensor, id: number): Promise<{ computeMs: number; tripMs: number }> {
    const t0 = performance.now();
    const m = await this.next({ type: 'run', id, inputs: [t] }, [t.buffer]);
    const tripMs = performance.now() - t0;
    if (m.type !== 'result') throw new Error(m.type === 'run-failed' ? m.message : `unexpected ${m.type}`);
    return { computeMs: m.computeMs, tripMs };
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Warm-up runs, then timed ones until `runs` are done or `budgetMs` has passed. */
async function series(s: Session, m: TimedModel, batch: number, runs: number, budgetMs: number) {
  let id = 0;
  for (let i = 0; i < 3; i++) await s.run(input(m, batch), ++id);
  const compute: number[] = [];
  const trips: number[] = [];
  const end = performance.now() + budgetMs;
  while (compute.length < runs && (compute.length < 3 || performance.now() < end)) {
    const r = await s.run(input(m, batch), ++id);
    compute.push(r.computeMs);
    trips.push(r.tripMs);
  }
  return {
    batch,
    runs: compute.length,
    p50Ms: median(compute),
    minMs: Math.min(...compute),
    p50TripMs: median(trips),
  };
}

export async function timeModel(
  m: TimedModel,
  requested: ExecutionProviderName,
  batches: readonly number[],
  runs: number,
  budgetMs: number,
): Promise<TimingResult> {
  const s = new Session();
  try {
    const loaded = await s.load(m.path, requested);
    if (loaded.type !== 'loaded') {
      const loadError = loaded.type === 'load-failed' ? loaded.message : `unexpected ${loaded.type}`;
      return { model: m.name, requested, loadError, series: [] };
    }
    const l: LoadedMessage = loaded;
    const out: Series[] = [];
    for (const b of batches) out.push(await series(s, m, b, runs, budgetMs));
    return {
      model: m.name,
      requested,
      provider: l.provider,
      ...(l.fallbackReason ? { fallbackReason: l.fallbackReason } : {}),
      loadMs: l.loadMs,
      series: out,
    };
  } finally {
    await s.close();
  }
}
