// Builds the pod's NATS messages (dataplane.proto) from plain snapshots of its state. Pure: the
// agent supplies the clock and the sequence numbers.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  CapacitySchema,
  type Deregistration,
  DeregistrationSchema,
  type DrainNotice,
  DrainNoticeSchema,
  DrainPhase,
  ExecutionProvider,
  type Heartbeat,
  HeartbeatSchema,
  LatencyWindowSchema,
  ModelLoadSchema,
  ModelState,
  ModelVersionSchema,
  type PodRegistration,
  PodRegistrationSchema,
  PodState,
  PortsSchema,
  UtilizationSchema,
} from '../../protos/gen/switchyard/dataplane/v1/dataplane_pb.js';
import type { ExecutionProviderName } from '../repository/config.js';
import type { PodPhase } from '../serving/lifecycle.js';
import type { VersionState } from '../serving/model-manager.js';
import { emptyInterval, type IntervalFigures } from '../stats/interval.js';
import type { UtilizationSample } from '../stats/utilization.js';
import type { WindowSummary } from '../stats/window.js';

export interface PodIdentity {
  readonly podId: string;
  readonly address: string;
  readonly ports: { readonly http: number; readonly grpc: number; readonly metrics: number };
  readonly region: string;
  readonly zone: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly startedAtMs: number;
  readonly heartbeatIntervalMs: number;
  /** --report-gpu: a CPU pod that claims a GPU, for routing tests. */
  readonly gpuSimulated: boolean;
  readonly softwareVersion: string;
  readonly cpuCores: number;
  readonly memoryBytes: number;
  /** --managed: takes assignments from the control plane. */
  readonly managed?: boolean;
  /** --memory-limit in bytes (undefined: none). */
  readonly memoryLimitBytes?: number;
  /** --overcommit: percent above the limit the placer may assign (undefined: off). */
  readonly overcommitPercent?: number;
}

export interface VersionStatus {
  readonly model: string;
  readonly version: string;
  readonly state: VersionState;
  readonly requestedProvider?: ExecutionProviderName;
  readonly provider?: ExecutionProviderName;
  readonly fallbackReason?: string;
  readonly failureReason?: string;
  readonly maxBatchSize: number;
  readonly instances: number;
  readonly queueLimit: number;
  readonly queueDepth: number;
  readonly inFlight: number;
  readonly window: WindowSummary;
  readonly digest?: string;
  /** Measured memory of the loaded sessions (ModelManager). */
  readonly memoryBytes?: number;
  /** Managed versions: the gRPC port that serves this version alone. */
  readonly grpcPort?: number;
  /** Managed versions: the HTTP port that serves this version alone. */
  readonly httpPort?: number;
  /** Overcommit: assigned, artifact cached and verified, not loaded (reported READY). */
  readonly standby?: boolean;
}

export interface PodStatus {
  readonly phase: PodPhase;
  readonly versions: readonly VersionStatus[];
  readonly utilization: UtilizationSample;
  readonly window: WindowSummary;
  /** Requests admitted and not yet answered. */
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly served: number;
  /** Managed pods: revision of the last assignments acted on. */
  readonly assignmentRevision?: bigint;
}

const MODEL_STATE: Record<VersionState, ModelState> = {
  loading: ModelState.LOADING,
  ready: ModelState.READY,
  failed: ModelState.FAILED,
  // Not ready, so the control plane drops the pod from this version's EDS while it drains.
  draining: ModelState.UNLOADING,
  unloading: ModelState.UNLOADING,
};

export function podStateOf(phase: PodPhase): PodState {
  switch (phase) {
    case 'draining':
      return PodState.DRAINING;
    case 'refusing':
    case 'stopped':
      return PodState.REFUSING;
    default:
      return PodState.SERVING;
  }
}

function providerOf(p: ExecutionProviderName | undefined, simulatedGpu: boolean): ExecutionProvider {
  if (p === 'cuda' || (simulatedGpu && p)) return ExecutionProvider.GPU;
  return p ? ExecutionProvider.CPU : ExecutionProvider.UNSPECIFIED;
}

function windowOf(w: WindowSummary) {
  return create(LatencyWindowSchema, {
    windowMs: w.windowMs,
    requests: BigInt(w.requests),
    errors: BigInt(w.errors),
    errorRate: w.errorRate,
    p50Ms: w.p50Ms,
    p99Ms: w.p99Ms,
    throughputRps: w.throughputRps,
  });
}

/** The registration without sequence, time or revision: what the revision is derived from. */
export function registrationOf(id: PodIdentity, status: PodStatus): PodRegistration {
  const models = status.versions.map((v) =>
    create(ModelVersionSchema, {
      model: v.model,
      version: v.version,
      state: MODEL_STATE[v.state],
      executionProvider: providerOf(v.provider, id.gpuSimulated),
      executionProviderName: v.provider ?? '',
      fallbackReason: v.fallbackReason ?? '',
      failureReason: v.failureReason ?? '',
      maxBatchSize: v.maxBatchSize,
      instances: v.instances,
      queueLimit: v.queueLimit,
      platform: 'onnxruntime_onnx',
      digest: v.digest ?? '',
      grpcPort: v.grpcPort ?? 0,
      httpPort: v.httpPort ?? 0,
      standby: v.standby === true,
    }),
  );
  const ready = status.versions.filter((v) => v.state === 'ready');
  const anyGpu = ready.some((v) => v.provider === 'cuda') || (id.gpuSimulated && ready.length > 0);
  const init: MessageInitShape<typeof PodRegistrationSchema> = {
    podId: id.podId,
    address: id.address,
    ports: create(PortsSchema, id.ports),
    models,
    executionProvider: anyGpu ? ExecutionProvider.GPU : ExecutionProvider.CPU,
    region: id.region,
    zone: id.zone,
    capacity: create(CapacitySchema, {
      cpuCores: id.cpuCores,
      workers: ready.reduce((n, v) => n + v.instances, 0),
      queueLimit: ready.reduce((n, v) => n + v.queueLimit, 0),
      memoryBytes: BigInt(id.memoryBytes),
      gpus: anyGpu ? 1 : 0,
    }),
    startedAtMs: BigInt(id.startedAtMs),
    labels: { ...id.labels },
    gpuSimulated: id.gpuSimulated,
    softwareVersion: id.softwareVersion,
    state: podStateOf(status.phase),
    heartbeatIntervalMs: id.heartbeatIntervalMs,
    managed: id.managed === true,
    memoryLimitBytes: BigInt(id.memoryLimitBytes ?? 0),
    overcommitPercent: id.overcommitPercent ?? 0,
  };
  return create(PodRegistrationSchema, init);
}

export function heartbeatOf(
  id: PodIdentity,
  status: PodStatus,
  meta: { sequence: bigint; sentAtMs: number; revision: bigint },
  intervals: ReadonlyMap<string, IntervalFigures> = new Map(),
): Heartbeat {
  const u = status.utilization;
  return create(HeartbeatSchema, {
    podId: id.podId,
    sequence: meta.sequence,
    sentAtMs: BigInt(meta.sentAtMs),
    state: podStateOf(status.phase),
    registrationRevision: meta.revision,
    utilization: create(UtilizationSchema, {
      cpuPercent: u.cpuPercent,
      ...(u.gpuPercent !== undefined ? { gpuPercent: u.gpuPercent } : {}),
      gpuSimulated: u.gpuSimulated,
      rssBytes: BigInt(u.rssBytes),
    }),
    queueDepth: status.queueDepth,
    inFlight: status.inFlight,
    window: windowOf(status.window),
    models: status.versions.map((v) => {
      const i = intervals.get(`${v.model}/${v.version}`) ?? emptyInterval();
      return create(ModelLoadSchema, {
        model: v.model,
        version: v.version,
        ready: v.state === 'ready',
        queueDepth: v.queueDepth,
        inFlight: v.inFlight,
        window: windowOf(v.window),
        memoryBytes: BigInt(v.state === 'ready' || v.state === 'draining' ? (v.memoryBytes ?? 0) : 0),
        intervalRequests: BigInt(i.requests),
        intervalErrors: BigInt(i.errors),
        latencyBucketCounts: i.latencyBuckets.map(BigInt),
        mirrorCompared: BigInt(i.mirrorCompared),
        mirrorAgreed: BigInt(i.mirrorAgreed),
        mirrorAbsDiffSum: i.mirrorAbsDiffSum,
      });
    }),
    intervalMs: id.heartbeatIntervalMs,
    assignmentRevision: status.assignmentRevision ?? 0n,
  });
}

export function drainNoticeOf(
  id: PodIdentity,
  status: PodStatus,
  phase: 'draining' | 'refusing' | 'drained',
  meta: { sequence: bigint; sentAtMs: number; graceMs: number; reason: string },
): DrainNotice {
  const p = { draining: DrainPhase.DRAINING, refusing: DrainPhase.REFUSING, drained: DrainPhase.DRAINED }[
    phase
  ];
  return create(DrainNoticeSchema, {
    podId: id.podId,
    sequence: meta.sequence,
    sentAtMs: BigInt(meta.sentAtMs),
    phase: p,
    graceMs: meta.graceMs,
    inFlight: status.inFlight,
    queueDepth: status.queueDepth,
    reason: meta.reason,
  });
}

export function deregistrationOf(
  id: PodIdentity,
  status: PodStatus,
  meta: { sequence: bigint; sentAtMs: number; reason: string },
): Deregistration {
  return create(DeregistrationSchema, {
    podId: id.podId,
    sequence: meta.sequence,
    sentAtMs: BigInt(meta.sentAtMs),
    reason: meta.reason,
    served: BigInt(status.served),
  });
}
