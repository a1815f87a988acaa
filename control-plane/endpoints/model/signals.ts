// The pods' NATS messages (dataplane.proto) as the plain facts the endpoint table works on.
// Pure: decoding happens in the subscriber, so the table and its tests never touch protobuf.

import { TLS_MODE_LABEL } from '../../../kernel/contract/subjects.js';
import {
  ExecutionProvider,
  type Heartbeat,
  ModelState,
  type PodRegistration,
  PodState,
} from '../../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import { endpointKey } from '../../translate/types.js';
import { type Utilization, utilizationFromPercent } from './utilization.js';

export interface ServedVersion {
  readonly model: string;
  readonly version: string;
  readonly backend: 'gpu' | 'cpu';
  /** A port that serves this version alone (managed pods); EDS uses it over PodInfo.port. */
  readonly port?: number;
  /** The same for REST: the REST clusters' EDS uses it over PodInfo.httpPort. */
  readonly httpPort?: number;
}

/** What a registration tells: where the pod is and which model versions it serves now. */
export interface PodInfo {
  readonly podId: string;
  readonly address: string;
  /** KServe v2 gRPC: the port proxies and proxyless clients dial. */
  readonly port: number;
  /** KServe v2 HTTP: the Envoy gateway's REST clusters dial it; absent when not advertised. */
  readonly httpPort?: number;
  readonly region: string;
  readonly zone: string;
  readonly revision: bigint;
  readonly startedAtMs: bigint;
  readonly sequence: bigint;
  readonly intervalMs: number;
  readonly draining: boolean;
  /** READY versions only, keyed `${model}/${version}`. */
  readonly versions: ReadonlyMap<string, ServedVersion>;
  /** The pod accepts mTLS (PERMISSIVE Envoy clusters then use TLS to it). */
  readonly tls: boolean;
}

/** One pod's counters of one version over one heartbeat interval. */
export interface IntervalCounts {
  readonly requests: number;
  readonly errors: number;
  /** Successes by latency; bounds in kernel/contract/latency-buckets.ts, overflow last. */
  readonly latencyBuckets: readonly number[];
  readonly mirrorCompared: number;
  readonly mirrorAgreed: number;
  readonly mirrorAbsDiffSum: number;
}

export interface VersionLoad {
  readonly queueDepth: number;
  readonly inFlight: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errorRate: number;
  readonly requests: number;
  /** Since the pod's previous heartbeat (docs/ENDPOINTS.md, "Interval figures"). */
  readonly interval?: IntervalCounts;
}

export interface HeartbeatInfo {
  readonly podId: string;
  readonly sequence: bigint;
  readonly revision: bigint;
  readonly draining: boolean;
  readonly intervalMs: number;
  /** Of all the pod's cores. */
  readonly cpu: Utilization;
  /** Absent when the pod has no GPU (real or simulated). */
  readonly gpu?: Utilization;
  readonly loads: ReadonlyMap<string, VersionLoad>;
}

function isDraining(state: PodState): boolean {
  return state === PodState.DRAINING || state === PodState.REFUSING;
}

/** Why a registration cannot become an endpoint, or undefined when it can. */
export function registrationProblem(reg: PodRegistration): string | undefined {
  if (!reg.address) return 'registration without an address';
  const port = reg.ports?.grpc ?? 0;
  if (!(port > 0 && port < 65536)) return `registration with gRPC port ${port}`;
  return undefined;
}

// A pod that does not advertise a usable HTTP port still serves gRPC; it is only left out of
// the REST clusters.
function httpPortOf(reg: PodRegistration): { httpPort?: number } {
  const port = reg.ports?.http ?? 0;
  return port > 0 && port < 65536 ? { httpPort: port } : {};
}

export function podInfoOf(reg: PodRegistration): PodInfo {
  const versions = new Map<string, ServedVersion>();
  for (const m of reg.models) {
    if (m.state !== ModelState.READY) continue;
    versions.set(endpointKey(m.model, m.version), {
      model: m.model,
      version: m.version,
      backend: m.executionProvider === ExecutionProvider.GPU ? 'gpu' : 'cpu',
      ...(m.grpcPort > 0 && m.grpcPort < 65536 ? { port: m.grpcPort } : {}),
      ...(m.httpPort > 0 && m.httpPort < 65536 ? { httpPort: m.httpPort } : {}),
    });
  }
  return {
    podId: reg.podId,
    address: reg.address,
    port: reg.ports?.grpc ?? 0,
    ...httpPortOf(reg),
    region: reg.region,
    zone: reg.zone,
    revision: reg.revision,
    startedAtMs: reg.startedAtMs,
    sequence: reg.sequence,
    intervalMs: reg.heartbeatIntervalMs,
    draining: isDraining(reg.state),
    versions,
    tls: reg.labels[TLS_MODE_LABEL] === 'mtls',
  };
}

export function heartbeatInfoOf(hb: Heartbeat): HeartbeatInfo {
  const loads = new Map<string, VersionLoad>();
  for (const m of hb.models) {
    const w = m.window;
    loads.set(endpointKey(m.model, m.version), {
      queueDepth: m.queueDepth,
      inFlight: m.inFlight,
      p50Ms: w?.p50Ms ?? 0,
      p99Ms: w?.p99Ms ?? 0,
      errorRate: w?.errorRate ?? 0,
      requests: Number(w?.requests ?? 0n),
      interval: {
        requests: Number(m.intervalRequests),
        errors: Number(m.intervalErrors),
        latencyBuckets: m.latencyBucketCounts.map(Number),
        mirrorCompared: Number(m.mirrorCompared),
        mirrorAgreed: Number(m.mirrorAgreed),
        mirrorAbsDiffSum: m.mirrorAbsDiffSum,
      },
    });
  }
  const u = hb.utilization;
  return {
    podId: hb.podId,
    sequence: hb.sequence,
    revision: hb.registrationRevision,
    draining: isDraining(hb.state),
    intervalMs: hb.intervalMs,
    // The one place a pod's percent becomes the control plane's unit (utilization.ts).
    cpu: utilizationFromPercent(u?.cpuPercent ?? 0),
    ...(u?.gpuPercent !== undefined ? { gpu: utilizationFromPercent(u.gpuPercent) } : {}),
    loads,
  };
}
