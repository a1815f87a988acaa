// A booted session worker kept in reserve. Starting a worker thread (its loader, then
// onnxruntime-node) costs hundreds of milliseconds, more than creating a small model's session;
// a managed pod that loads versions on demand keeps one spare so the next load skips that cost.
// The spare is unref'd (it never keeps the process alive) and dropped if it dies while waiting.
import { Worker } from 'node:worker_threads';

export const WORKER_URL = new URL('./worker.mjs', import.meta.url);

let spare: Worker | undefined;
let onSpareExit: (() => void) | undefined;

/** Starts a spare worker unless one is waiting. */
export function prewarmWorker(): void {
  if (spare) return;
  const w = new Worker(WORKER_URL);
  w.unref();
  const drop = () => {
    if (spare === w) spare = undefined;
  };
  w.once('error', drop);
  w.once('exit', drop);
  onSpareExit = drop;
  spare = w;
}

/** The spare worker if one is waiting (now owned by the caller), else a freshly started one. */
export function takeWorker(): Worker {
  const w = spare;
  if (!w) return new Worker(WORKER_URL);
  spare = undefined;
  if (onSpareExit) {
    w.off('error', onSpareExit);
    w.off('exit', onSpareExit);
  }
  w.ref();
  return w;
}

/** Ends the spare (tests, shutdown). */
export async function releaseSpareWorker(): Promise<void> {
  const w = spare;
  spare = undefined;
  await w?.terminate();
}
