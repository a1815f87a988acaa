// Building blocks of the cluster failover tests and their benchmark: a control plane as a real
// process on a seed list, a writer that applies continuously through the admin API and records
// every acknowledged revision, proxyless gRPC traffic through grpc-js-xds, and the check that
// every acknowledged revision is in the store with its content.
import { create } from '@bufbuild/protobuf';
import { credentials } from '@grpc/grpc-js';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { decodeRecord, policyKey } from '../../control-plane/store/policy-record.js';
import { PredictRequestSchema } from '../../protos/gen/switchyard/demo/v1/backend_pb.js';
import { DemoBackendClient, predict } from '../helpers/demo-backend.js';
import type { NatsCluster } from '../helpers/nats-cluster.js';
import { CliProcess } from '../process/processes.js';

/** A ModelRoute document for model `name`, split w1 / 100 - w1 between two backend ports. */
export function routeDocument(name: string, w1: number, ports: readonly [number, number]) {
  return {
    apiVersion: 'switchyard.dev/v1alpha1',
    kind: 'ModelRoute',
    metadata: { name, namespace: 'default' },
    spec: {
      model: name,
      mtls: 'DISABLE',
      versions: [
        { name: 'v1', weight: w1, endpoints: [{ address: '127.0.0.1', port: ports[0] }] },
        { name: 'v2', weight: 100 - w1, endpoints: [{ address: '127.0.0.1', port: ports[1] }] },
      ],
    },
  };
}

export interface ControlPlaneProcess {
  readonly proc: CliProcess;
  readonly adminUrl: string;
  readonly xdsPort: number;
  /** Its NATS connection's name, as /connz shows it. */
  readonly natsName: string;
  kill(): Promise<void>;
}

/** `switchyard control-plane` on the cluster's seed list, R3 store, free ports, quotas out of the way. */
export async function startControlPlaneProcess(
  cluster: NatsCluster,
  extra: readonly string[] = [],
): Promise<ControlPlaneProcess> {
  const { user, pass } = cluster.credentials();
  const proc = new CliProcess(
    [
      'control-plane',
      '--nats',
      cluster.seeds,
      '--store-replicas',
      '3',
      '--xds-port',
      '0',
      '--admin-port',
      '0',
      '--admin-grpc-port',
      '0',
      '--quota-policies',
      '100000',
      '--quota-versions',
      '1000000',
      '--debounce-quiet',
      '20ms',
      '--debounce-max',
      '200ms',
      ...extra,
    ],
    { SWITCHYARD_NATS_USER: user, SWITCHYARD_NATS_PASSWORD: pass, SWITCHYARD_LOG: 'warn' },
  );
  try {
    await proc.waitForOutput(/switchyard control-plane ready/, 90_000);
  } catch (err) {
    proc.kill();
    throw err;
  }
  const m = /xds=(\d+) admin=(\d+)/.exec(proc.stdout)!;
  return {
    proc,
    adminUrl: `http://127.0.0.1:${m[2]}`,
    xdsPort: Number(m[1]),
    natsName: `switchyard-control-plane-${proc.child.pid}`,
    kill: async () => {
      proc.kill();
      await proc.exited;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Json }> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await r.text();
  return { status: r.status, json: text ? JSON.parse(text) : undefined };
}

export interface Ack {
  readonly name: string;
  readonly revision: number;
  readonly w1: number;
  /** performance.now() when the 2xx arrived. */
  readonly at: number;
}

/** Policies the writer cycles through: 128 keys x 64 kept revisions = 8192 applies verifiable. */
export const WRITER_KEYS = 128;

/**
 * Applies without pause through the admin API, cycling through WRITER_KEYS policies (created,
 * then updated with a new weight each time), and records every acknowledged (2xx) revision.
 * Failed applies (503 while the store elects a leader) are counted, not retried: the next apply
 * carries other content anyway.
 */
export class Writer {
  readonly acks: Ack[] = [];
  failures = 0;
  lastFailure = '';
  private stopped = false;
  private loop?: Promise<void>;
  private n = 0;

  constructor(
    private readonly adminUrl: () => string,
    private readonly ports: readonly [number, number],
    private readonly prefix = 'w',
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const i = this.n++;
        const name = `${this.prefix}-${i % WRITER_KEYS}`;
        // Consecutive applies of one key always differ (128 * 7 is not a multiple of 101).
        const w1 = (i * 7) % 101;
        try {
          const r = await api(this.adminUrl(), 'POST', '/api/v1/policies', {
            document: routeDocument(name, w1, this.ports),
          });
          if (r.status === 200 || r.status === 201)
            this.acks.push({ name, revision: r.json.revision, w1, at: performance.now() });
          else {
            this.failures++;
            this.lastFailure = `${r.status} ${r.json?.code}: ${r.json?.message}`;
          }
        } catch (err) {
          this.failures++;
          // fetch says only "fetch failed"; its cause names the socket error.
          const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
          this.lastFailure = `${(err as Error).message}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Acks after `t`. */
  acksAfter(t: number): number {
    return this.acks.filter((a) => a.at > t).length;
  }

  /**
   * The write gap around `t`: from the last acknowledgement before it to the first after it
   * (what a client writing without pause sees as "writes stopped").
   */
  gapAround(t: number): number {
    const before = this.acks.filter((a) => a.at <= t).at(-1);
    const after = this.acks.find((a) => a.at > t);
    if (!before || !after) return Number.POSITIVE_INFINITY;
    return after.at - before.at;
  }
}

/** Acknowledged revisions missing from the store, or stored with other content. */
export async function lostRevisions(
  cluster: NatsCluster,
  acks: readonly Ack[],
  bucket = 'switchyard_policies',
): Promise<string[]> {
  const nc = await connect({ ...cluster.connectOptions(), maxReconnectAttempts: -1 });
  try {
    const kv = await new Kvm(jetstream(nc, { timeout: 10_000 })).open(bucket);
    const lost: string[] = [];
    for (const a of acks) {
      const e = await kv.get(policyKey('default', a.name), { revision: a.revision });
      const doc =
        e?.operation === 'PUT'
          ? (decodeRecord(e.value).document as ReturnType<typeof routeDocument>)
          : undefined;
      if (!doc || doc.metadata.name !== a.name || doc.spec.versions[0]!.weight !== a.w1)
        lost.push(`${a.name}@${a.revision}`);
    }
    return lost;
  } finally {
    await nc.close();
  }
}

/** grpc-js-xds traffic to model `model`: a few workers calling without pause, counting outcomes. */
export class ProxylessTraffic {
  ok = 0;
  failed = 0;
  lastError = '';
  private stopped = false;
  private readonly workers: Promise<void>[] = [];
  private readonly client: InstanceType<typeof DemoBackendClient>;

  constructor(xdsServerUri: string, nodeId: string, model: string, workers = 4) {
    const bootstrap = JSON.stringify({
      xds_servers: [
        { server_uri: xdsServerUri, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: { id: nodeId, cluster: 'cluster-test', locality: {} },
    });
    const client = new DemoBackendClient(`xds:///${model}`, credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap,
    });
    this.client = client;
    const req = create(PredictRequestSchema, { model });
    for (let w = 0; w < workers; w++)
      this.workers.push(
        (async () => {
          while (!this.stopped) {
            try {
              await predict(client, req, { timeoutMs: 10_000 });
              this.ok++;
            } catch (err) {
              this.failed++;
              this.lastError = (err as Error).message;
            }
          }
        })(),
      );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
    this.client.close();
  }
}

/** Polls `cond` every 20 ms; the elapsed milliseconds once it holds, or throws after `timeoutMs`. */
export async function timeUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await cond()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
