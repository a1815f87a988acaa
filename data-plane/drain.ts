// The SIGTERM sequence. Proxies learn about a drain only through the control plane (or their
// health checks), so for a grace period the pod keeps admitting what they still send, while
// saying DRAINING everywhere it can (NATS, grpc.health, /v2/health/ready). Then it refuses new
// requests with UNAVAILABLE / 503, waits for every admitted request to be answered,
// deregisters and closes. Nothing admitted is dropped unless the drain timeout runs out, and
// the report says if it did.
import type { Logger } from '../kernel/log/index.js';
import type { Lifecycle } from './serving/lifecycle.js';

export interface DrainOptions {
  /** How long new requests are still admitted after DRAINING is announced. */
  readonly graceMs: number;
  /** Upper bound on waiting for in-flight requests after the grace period. */
  readonly timeoutMs: number;
}

export interface DrainReport {
  readonly reason: string;
  /** Requests admitted but not answered when the timeout ran out (0 on a clean drain). */
  readonly unfinished: number;
  readonly durationMs: number;
}

export interface DrainTarget {
  readonly lifecycle: Lifecycle;
  readonly log: Logger;
  readonly agent?: {
    drainNotice(phase: 'draining' | 'refusing' | 'drained', graceMs: number, reason: string): Promise<void>;
  };
  /** Deregisters (with this reason), closes the servers and stops the workers. */
  close(reason: string): Promise<void>;
}

export async function drainPod(pod: DrainTarget, opts: DrainOptions, reason: string): Promise<DrainReport> {
  const t0 = Date.now();
  const { lifecycle, log } = pod;
  log.info(`${reason}: draining; admitting requests for ${opts.graceMs} ms more`);
  lifecycle.setPhase('draining');
  await pod.agent?.drainNotice('draining', opts.graceMs, reason);
  await new Promise((r) => setTimeout(r, opts.graceMs));
  lifecycle.setPhase('refusing');
  log.info(`drain: refusing new requests; waiting for ${lifecycle.inFlightRequests} in flight`);
  await pod.agent?.drainNotice('refusing', opts.graceMs, reason);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    lifecycle.idle().then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), opts.timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  const unfinished = timedOut ? lifecycle.inFlightRequests : 0;
  if (timedOut)
    log.error(`drain: timed out after ${opts.timeoutMs} ms with ${unfinished} request(s) unanswered`);
  await pod.agent?.drainNotice('drained', opts.graceMs, reason);
  await pod.close(`drained after ${reason}`);
  const durationMs = Date.now() - t0;
  log.info(`drain: done in ${durationMs} ms; deregistered`);
  return { reason, unfinished, durationMs };
}
