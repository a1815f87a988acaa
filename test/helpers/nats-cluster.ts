// A real 3-node JetStream cluster for failover tests: three Debian nats-server processes (2.9.x)
// with authenticated cluster routes between them, JetStream on each (its own temp store dir), the
// same explicit users on every node (never the default account: CVE-2023-47090), and an HTTP
// monitoring port each, from which /jsz names the meta leader and every stream's leader.
//
//   const cluster = await NatsCluster.start();
//   const seeds = cluster.seeds;                       // "nats://127.0.0.1:a,nats://...:b,..."
//   const leader = await cluster.metaLeader();         // a NatsServer
//   await leader.kill();                               // SIGKILL; cluster.running() loses it
//   await cluster.cleanup();
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { NatsServer, type NatsUserSpec } from './nats-server.js';
import { freePorts } from './ports.js';

interface Jsz {
  meta_cluster?: {
    leader?: string;
    cluster_size?: number;
    replicas?: Array<{ name: string; current: boolean }>;
  };
  account_details?: Array<{
    stream_detail?: Array<{
      name: string;
      cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean }> };
    }>;
  }>;
}

export class NatsCluster {
  private constructor(readonly nodes: readonly NatsServer[]) {}

  /** Starts `size` nodes (default 3) and waits until JetStream has a meta leader all agree on. */
  static async start(opts: { size?: number; users?: readonly NatsUserSpec[]; readyTimeoutMs?: number } = {}) {
    // A port can still be taken between its pick and the node's bind (ports.ts): the whole
    // cluster starts again on new ports, since each node's routes name the others'.
    for (let attempt = 1; ; attempt++) {
      try {
        return await NatsCluster.startOnce(opts);
      } catch (err) {
        if (attempt >= 3 || !/address already in use/.test((err as Error).message)) throw err;
      }
    }
  }

  private static async startOnce(opts: {
    size?: number;
    users?: readonly NatsUserSpec[];
    readyTimeoutMs?: number;
  }): Promise<NatsCluster> {
    const size = opts.size ?? 3;
    const ports = await freePorts(size * 3);
    const route = { user: 'route', password: randomBytes(12).toString('hex') };
    const admin = { user: 'admin', password: randomBytes(12).toString('hex') };
    const users = [admin, ...(opts.users ?? [])].map((u) => ({
      ...u,
      password: u.password ?? randomBytes(12).toString('hex'),
    }));
    const routePorts = ports.slice(size, 2 * size);
    const started = await Promise.allSettled(
      Array.from({ length: size }, (_, i) =>
        NatsServer.start({
          port: ports[i]!,
          httpPort: ports[2 * size + i]!,
          users,
          cluster: {
            name: 'switchyard-test',
            port: routePorts[i]!,
            routes: routePorts.filter((_, j) => j !== i),
            ...route,
          },
        }),
      ),
    );
    const nodes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await Promise.all(nodes.map((n) => n.cleanup()));
      throw failed.reason;
    }
    const cluster = new NatsCluster(nodes);
    await cluster.waitForMetaLeader(opts.readyTimeoutMs ?? 60_000);
    return cluster;
  }

  /** Every node's client URL, comma-separated: what `--nats` takes. */
  get seeds(): string {
    return this.nodes.map((n) => n.url).join(',');
  }

  running(): NatsServer[] {
    return this.nodes.filter((n) => n.running);
  }

  credentials(user = 'admin'): { user: string; pass: string } {
    return this.nodes[0]!.credentials(user);
  }

  connectOptions(user = 'admin'): { servers: string[]; user: string; pass: string } {
    return { servers: this.nodes.map((n) => n.url), ...this.credentials(user) };
  }

  byName(serverName: string): NatsServer | undefined {
    return this.nodes.find((n) => n.serverName === serverName);
  }

  /** The node whose client port is `port` (what a client reports as its server). */
  byPort(port: number): NatsServer | undefined {
    return this.nodes.find((n) => n.port === port);
  }

  private async jsz(node: NatsServer, query = ''): Promise<Jsz | undefined> {
    try {
      const r = await fetch(`${node.monitorUrl}/jsz${query}`, { signal: AbortSignal.timeout(2000) });
      return r.ok ? ((await r.json()) as Jsz) : undefined;
    } catch {
      return undefined;
    }
  }

  /** The node the running ones agree leads the JetStream meta group, once they agree. */
  async waitForMetaLeader(timeoutMs = 30_000, except?: NatsServer): Promise<NatsServer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const names = await Promise.all(
        this.running().map(async (n) => (await this.jsz(n))?.meta_cluster?.leader),
      );
      const leader = names[0] ? this.byName(names[0]) : undefined;
      if (leader?.running && leader !== except && names.every((x) => x === names[0])) return leader;
      if (Date.now() > deadline)
        throw new Error(
          `no JetStream meta leader agreed on within ${timeoutMs} ms: ${JSON.stringify(names)}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  metaLeader(): Promise<NatsServer> {
    return this.waitForMetaLeader();
  }

  /** The node leading a stream (a KV bucket is stream KV_<bucket>), as a running node reports it. */
  async streamLeader(stream: string, timeoutMs = 30_000): Promise<NatsServer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const n of this.running()) {
        const jsz = await this.jsz(n, '?accounts=true&streams=true');
        for (const a of jsz?.account_details ?? [])
          for (const s of a.stream_detail ?? []) {
            const leader = s.name === stream && s.cluster?.leader ? this.byName(s.cluster.leader) : undefined;
            if (leader?.running) return leader;
          }
      }
      if (Date.now() > deadline)
        throw new Error(`stream ${stream} has no running leader after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Waits until every stream has a running leader and every other running node is a current
   * replica of it: after a restart, the node has caught up and the cluster has full redundancy.
   */
  async waitForFullRedundancy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const running = this.running();
      await this.waitForMetaLeader(Math.max(1, deadline - Date.now()));
      // Only a stream's leader knows how current its followers are: ask each node about the
      // streams it leads.
      const views = await Promise.all(
        running.map(async (n) => ({ n, jsz: await this.jsz(n, '?accounts=true&streams=true') })),
      );
      const streams = new Map<string, boolean>();
      for (const { n, jsz } of views)
        for (const a of jsz?.account_details ?? [])
          for (const st of a.stream_detail ?? []) {
            if (!streams.has(st.name)) streams.set(st.name, false);
            if (st.cluster?.leader !== n.serverName) continue;
            const current = new Set((st.cluster.replicas ?? []).filter((r) => r.current).map((r) => r.name));
            if (running.every((m) => m === n || current.has(m.serverName))) streams.set(st.name, true);
          }
      const behind = [...streams].filter(([, ok]) => !ok).map(([name]) => name);
      if (views.every((v) => v.jsz) && behind.length === 0) return;
      last = behind.join(', ');
      if (Date.now() > deadline)
        throw new Error(`streams not fully replicated after ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * One JetStream API request to `node` (as the system account with `system`). Its answer is not
   * read: whether a step-down took, the caller sees in who leads next.
   */
  private async apiRequest(node: NatsServer, subject: string, system = false): Promise<void> {
    const nc = await connect(system ? node.systemConnectOptions() : node.connectOptions());
    try {
      await nc.request(subject, '', { timeout: 5000 });
    } catch (err) {
      throw new Error(`${subject} to ${node.serverName}: ${(err as Error).message}`, { cause: err });
    } finally {
      await nc.close();
    }
  }

  /**
   * Leadership moved until `node` is the JetStream meta leader and leads none of `streams`: the
   * meta leader and the streams' leaders are asked to step down (nats-server then elects one of
   * the other nodes, at random) until it holds. Each step ends with the cluster fully replicated.
   */
  async arrangeLeaders(node: NatsServer, streams: readonly string[], attempts = 20): Promise<void> {
    for (let i = 0; i < attempts; i++) {
      await this.waitForFullRedundancy();
      const meta = await this.metaLeader();
      const led: string[] = [];
      for (const s of streams) if ((await this.streamLeader(s)) === node) led.push(s);
      if (meta === node && led.length === 0) return;
      for (const s of led) await this.apiRequest(node, `$JS.API.STREAM.LEADER.STEPDOWN.${s}`);
      if (meta !== node) {
        await this.apiRequest(meta, '$JS.API.META.LEADER.STEPDOWN', true);
        // The old leader answers before the others have elected: wait for one they agree on.
        await this.waitForMetaLeader(30_000, meta);
      }
    }
    throw new Error(
      `${node.serverName} is not the meta leader without leading ${streams.join(', ')} after ${attempts} rounds of step-downs`,
    );
  }

  /** Client connections a node holds, by name (the HTTP /connz view). */
  async connectionNames(node: NatsServer): Promise<string[]> {
    try {
      const r = await fetch(`${node.monitorUrl}/connz?limit=1024`, { signal: AbortSignal.timeout(2000) });
      const body = (await r.json()) as { connections?: Array<{ name?: string }> };
      return (body.connections ?? []).map((c) => c.name ?? '');
    } catch {
      return [];
    }
  }

  /** The running node a client named `name` is connected to. */
  async nodeOf(name: string, timeoutMs = 10_000): Promise<NatsServer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const n of this.running()) if ((await this.connectionNames(n)).includes(name)) return n;
      if (Date.now() > deadline) throw new Error(`no node holds a connection named ${name}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Nodes' recent log lines, for a failure message. */
  logs(): string {
    return this.nodes.map((n) => `--- ${n.serverName}\n${n.logs()}`).join('\n');
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.cleanup()));
  }
}
