// The ranges a pod's figures must lie in before they reach the table and the tuner. Pods are
// not trusted to be sane (a bug, a stuck sensor, or anyone on an unauthenticated bus): one NaN
// would become a NaN weight and a snapshot no client accepts. Pure; each problem names its
// field as dataplane.proto spells it. The ranges are documented in docs/ENDPOINTS.md.
import { LATENCY_BUCKET_COUNT } from '../../../kernel/contract/latency-buckets.js';
import type {
  Deregistration,
  DrainNotice,
  Heartbeat,
  LatencyWindow,
  ModelLoad,
  PodRegistration,
} from '../../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';

/**
 * Largest sequence accepted: 2^53 - 1. A pod counts from 1, one per message, so it would need
 * hundreds of thousands of years to get there; a larger one can only be forged, and would make
 * every genuine message of that pod look stale.
 */
export const MAX_SEQUENCE = BigInt(Number.MAX_SAFE_INTEGER);
/** Latencies above a day are not measurements. */
export const MAX_LATENCY_MS = 86_400_000;

function outside(value: number, lo: number, hi: number): boolean {
  return !Number.isFinite(value) || value < lo || value > hi;
}

function show(value: number): string {
  return Number.isNaN(value) ? 'NaN' : String(value);
}

function range(field: string, value: number, lo: number, hi: number): string | undefined {
  return outside(value, lo, hi) ? `${field} = ${show(value)} is not a number in ${lo}..${hi}` : undefined;
}

export function sequenceProblem(sequence: bigint): string | undefined {
  return sequence > MAX_SEQUENCE ? `sequence = ${sequence} is above ${MAX_SEQUENCE}` : undefined;
}

function windowProblem(prefix: string, w: LatencyWindow | undefined): string | undefined {
  if (!w) return undefined;
  return (
    range(`${prefix}.error_rate`, w.errorRate, 0, 1) ??
    range(`${prefix}.p50_ms`, w.p50Ms, 0, MAX_LATENCY_MS) ??
    range(`${prefix}.p99_ms`, w.p99Ms, 0, MAX_LATENCY_MS) ??
    range(`${prefix}.throughput_rps`, w.throughputRps, 0, Number.MAX_VALUE) ??
    (w.errors > w.requests ? `${prefix}.errors = ${w.errors} exceeds requests = ${w.requests}` : undefined)
  );
}

function countProblem(field: string, value: bigint): string | undefined {
  return value > MAX_SEQUENCE ? `${field} = ${value} is above ${MAX_SEQUENCE}` : undefined;
}

/** The per-interval counters of one version: each count sane, and the counts consistent. */
function intervalProblem(prefix: string, m: ModelLoad): string | undefined {
  const first =
    countProblem(`${prefix}.interval_requests`, m.intervalRequests) ??
    (m.intervalErrors > m.intervalRequests
      ? `${prefix}.interval_errors = ${m.intervalErrors} exceeds interval_requests = ${m.intervalRequests}`
      : undefined) ??
    countProblem(`${prefix}.mirror_compared`, m.mirrorCompared) ??
    (m.mirrorAgreed > m.mirrorCompared
      ? `${prefix}.mirror_agreed = ${m.mirrorAgreed} exceeds mirror_compared = ${m.mirrorCompared}`
      : undefined) ??
    range(`${prefix}.mirror_abs_diff_sum`, m.mirrorAbsDiffSum, 0, Number.MAX_VALUE);
  if (first) return first;
  const buckets = m.latencyBucketCounts;
  if (buckets.length !== 0 && buckets.length !== LATENCY_BUCKET_COUNT)
    return `${prefix}.latency_bucket_counts has ${buckets.length} buckets, not ${LATENCY_BUCKET_COUNT}`;
  const inBuckets = buckets.reduce((a, b) => a + b, 0n);
  const successes = m.intervalRequests - m.intervalErrors;
  return inBuckets > successes
    ? `${prefix}.latency_bucket_counts hold ${inBuckets} requests, more than the ${successes} successes`
    : undefined;
}

/** The first figure of a heartbeat out of its range, or undefined when all are sane. */
export function heartbeatProblem(hb: Heartbeat): string | undefined {
  const u = hb.utilization;
  const first =
    sequenceProblem(hb.sequence) ??
    (u ? range('utilization.cpu_percent', u.cpuPercent, 0, 100) : undefined) ??
    (u?.gpuPercent !== undefined ? range('utilization.gpu_percent', u.gpuPercent, 0, 100) : undefined) ??
    windowProblem('window', hb.window);
  if (first) return first;
  for (const [i, m] of hb.models.entries()) {
    const p = windowProblem(`models[${i}].window`, m.window) ?? intervalProblem(`models[${i}]`, m);
    if (p) return p;
  }
  return undefined;
}

export function registrationSequenceProblem(reg: PodRegistration): string | undefined {
  return sequenceProblem(reg.sequence);
}

export function noticeProblem(n: DrainNotice | Deregistration): string | undefined {
  return sequenceProblem(n.sequence);
}
