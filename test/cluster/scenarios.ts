// The failover scenarios the cluster tests assert and the cluster benchmark repeats. Each kills
// one process with SIGKILL while writes and proxyless RPCs go on, and measures what clients saw.
import { AUDIT_STREAM } from '../../control-plane/audit/audit-log.js';
import { POLICY_BUCKET } from '../../control-plane/store/policy-store.js';
import type { NatsCluster } from '../helpers/nats-cluster.js';
import type { NatsServer } from '../helpers/nats-server.js';
import { api, type ControlPlaneProcess, timeUntil, type Writer } from './harness.js';

/** The streams an apply writes to: the policy bucket and the audit trail. */
export const WRITE_STREAMS = [`KV_${POLICY_BUCKET}`, AUDIT_STREAM] as const;

/**
 * Which node dies: the one the control plane is connected to, the JetStream meta leader, or the
 * control plane's node made the meta leader while it leads no write stream first (`placed`: the
 * one loss whose write gap is bounded by reconnecting alone, arranged rather than waited for).
 */
export type Victim = 'connected' | 'meta-leader' | 'placed';

export interface NodeLoss {
  readonly victim: Victim;
  readonly node: string;
  /** What the killed node was: "meta leader", "leader of KV_switchyard_policies", ... */
  readonly roles: readonly string[];
  /** From the last acknowledged apply before the kill to the first after it. */
  readonly gapMs: number;
  /** From the kill until every write stream had a running leader again (0: none was lost). */
  readonly electionMs: number;
  readonly failedApplies: number;
  /** Milliseconds each step took, in order: where a slow run spent its time. */
  readonly steps: Readonly<Record<string, number>>;
}

/**
 * SIGKILL the NATS node `victim` names while `writer` applies without pause; then restart it and
 * wait for full redundancy again.
 */
export async function killNatsNode(
  cluster: NatsCluster,
  cp: ControlPlaneProcess,
  writer: Writer,
  victim: Victim,
): Promise<NodeLoss> {
  const steps: Record<string, number> = {};
  let mark = performance.now();
  const step = (name: string) => {
    const now = performance.now();
    steps[name] = Math.round(now - mark);
    mark = now;
  };
  await cluster.waitForFullRedundancy();
  step('redundancy');
  if (victim === 'placed') {
    await cluster.arrangeLeaders(await cluster.nodeOf(cp.natsName), WRITE_STREAMS);
    step('placed');
  }
  const node: NatsServer =
    victim === 'meta-leader' ? await cluster.metaLeader() : await cluster.nodeOf(cp.natsName);
  const meta = await cluster.metaLeader();
  const roles: string[] = [];
  if (meta === node) roles.push('meta leader');
  const led: string[] = [];
  for (const s of WRITE_STREAMS) if ((await cluster.streamLeader(s)) === node) led.push(s);
  if (led.length) roles.push(`leader of ${led.join(', ')}`);
  if ((await cluster.nodeOf(cp.natsName)) === node) roles.push("the control plane's node");
  step('roles');
  // Writes are flowing before the kill.
  const before = performance.now();
  await timeUntil(() => writer.acksAfter(before) >= 3, 30_000, 'applies before the kill');
  const failuresBefore = writer.failures;
  step('writes');
  const t = performance.now();
  await node.kill();
  const elections = Promise.all(WRITE_STREAMS.map((s) => cluster.streamLeader(s, 60_000))).then(
    () => performance.now() - t,
  );
  // Awaited only once applies resume: a failure meanwhile must not surface as an unhandled
  // rejection that fails some other test in the file's process.
  elections.catch(() => {});
  await timeUntil(() => writer.acksAfter(t) >= 5, 60_000, `applies after killing ${node.serverName}`).catch(
    (err: Error) => {
      // What the applies met meanwhile, and whether the control plane is still running and
      // what it logged last, say where they stopped.
      const { child, stderr } = cp.proc;
      const state =
        child.exitCode !== null || child.signalCode !== null
          ? `the control plane exited (${child.exitCode ?? child.signalCode})`
          : 'the control plane is running';
      throw new Error(
        `${err.message} (roles: ${roles.join(', ') || 'none'}; ${writer.acksAfter(t)} acknowledged, ${writer.failures - failuresBefore} refused, the last: ${writer.lastFailure || 'none'}; ${state}; its last log lines:\n${stderr.split('\n').slice(-15).join('\n')})`,
      );
    },
  );
  step('resumed');
  const elected = await elections;
  step('elected');
  const electionMs = led.length ? elected : 0;
  const result: NodeLoss = {
    victim,
    node: node.serverName,
    roles,
    gapMs: writer.gapAround(t),
    electionMs,
    failedApplies: writer.failures - failuresBefore,
    steps,
  };
  await node.restart();
  step('restart');
  await cluster.waitForFullRedundancy();
  step('caught-up');
  return result;
}

/** Every proxy type ACKed at the version sent, for node `nodeId`, on this control plane. */
export async function resynced(cp: ControlPlaneProcess, nodeId: string): Promise<boolean> {
  try {
    const r = await api(cp.adminUrl, 'GET', '/api/v1/proxies');
    const p = (r.json?.proxies ?? []).find((x: { nodeId: string }) => x.nodeId === nodeId) as
      | { types: Record<string, { sent?: string; acked?: string }> }
      | undefined;
    return (
      !!p &&
      ['LDS', 'RDS', 'CDS', 'EDS'].every((t) => p.types[t]?.acked && p.types[t]?.acked === p.types[t]?.sent)
    );
  } catch {
    return false;
  }
}

export interface ProxyVersions {
  readonly LDS?: string;
  readonly RDS?: string;
  readonly CDS?: string;
  readonly EDS?: string;
}

/** Per type, the version this control plane sent `nodeId` (undefined: not connected). */
export async function sentVersions(
  cp: ControlPlaneProcess,
  nodeId: string,
): Promise<ProxyVersions | undefined> {
  const r = await api(cp.adminUrl, 'GET', '/api/v1/proxies');
  const p = (r.json?.proxies ?? []).find((x: { nodeId: string }) => x.nodeId === nodeId) as
    | { types: Record<string, { sent?: string }> }
    | undefined;
  if (!p) return undefined;
  return Object.fromEntries(['LDS', 'RDS', 'CDS', 'EDS'].map((t) => [t, p.types[t]?.sent]));
}

export interface ReplicaFailover {
  /** From SIGKILL of the replica the client used until the other had it ACK every type. */
  readonly resyncMs: number;
  readonly before: ProxyVersions;
  readonly after: ProxyVersions;
}

/**
 * The client holds its xDS stream on `from` (pick_first over one target listing both): SIGKILL
 * `from`, and time until `to` has the client in sync.
 */
export async function killReplica(
  from: ControlPlaneProcess,
  to: ControlPlaneProcess,
  nodeId: string,
): Promise<ReplicaFailover> {
  await timeUntil(() => resynced(from, nodeId), 30_000, `the client in sync with ${from.adminUrl}`);
  const before = (await sentVersions(from, nodeId))!;
  const t = performance.now();
  await from.kill();
  await timeUntil(() => resynced(to, nodeId), 30_000, `the client in sync with ${to.adminUrl}`);
  const resyncMs = performance.now() - t;
  return { resyncMs, before, after: (await sentVersions(to, nodeId))! };
}
