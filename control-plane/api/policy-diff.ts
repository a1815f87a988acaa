// What changes between two versions of a policy, as a unified diff of their effective YAML, for
// audit records, `diff` and dry runs. Rendered and diffed in one shared worker thread
// (policy-diff-worker.mjs): for a policy at the size limits that is tens of milliseconds of work,
// which on the admin API's event loop would stall every xDS stream and request beside it
// (docs/OPERATIONS.md, "Limits and quotas").
import { Worker } from 'node:worker_threads';
import { InternalError, UnavailableError } from '../../kernel/errors/index.js';
import type { ModelRoute } from '../policy/index.js';

const WORKER_URL = new URL('./policy-diff-worker.mjs', import.meta.url);

export interface PolicyDiffRequest {
  readonly before: ModelRoute | undefined;
  readonly after: ModelRoute | undefined;
  readonly oldName: string;
  readonly newName: string;
  /** An audit record's patch: always present, empty file headers, two lines of context. */
  readonly audit?: boolean;
}

export interface PolicyDiff {
  /** Whether the effective YAML differs. */
  readonly changed: boolean;
  /** Unified diff ('' when unchanged, unless `audit`). */
  readonly diff: string;
}

type Reply = { id: number; changed: boolean; diff: string } | { id: number; error: string };

interface Pending {
  resolve(d: PolicyDiff): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

function failAll(err: Error): void {
  const waiting = [...pending.values()];
  pending.clear();
  for (const p of waiting) p.reject(err);
}

function started(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_URL);
  w.on('message', (reply: Reply) => {
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if ('error' in reply) p.reject(new InternalError(`policy diff failed: ${reply.error}`));
    else p.resolve({ changed: reply.changed, diff: reply.diff });
    // An idle worker never keeps the process alive.
    if (pending.size === 0) w.unref();
  });
  const stopped = (why: string) => {
    if (worker === w) worker = undefined;
    failAll(new UnavailableError(`the policy diff worker stopped (${why}); try again`));
  };
  w.on('error', (err) => stopped(err.message));
  w.on('exit', (code) => stopped(`exit ${code}`));
  worker = w;
  return w;
}

/** The diff of two versions of a policy, computed off the event loop. */
export function policyDiff(req: PolicyDiffRequest): Promise<PolicyDiff> {
  const w = started();
  const id = nextId++;
  const done = new Promise<PolicyDiff>((resolve, reject) => pending.set(id, { resolve, reject }));
  try {
    w.postMessage({ id, ...req });
  } catch (err) {
    // A route that cannot be cloned to the worker (never one the parser made).
    pending.delete(id);
    throw new InternalError(`policy diff: ${(err as Error).message}`);
  }
  w.ref();
  return done;
}
